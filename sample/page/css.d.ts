// esbuild bundles the style sheet imported by main.ts into page.css; TypeScript only needs to know the import exists.
declare module '*.css';
