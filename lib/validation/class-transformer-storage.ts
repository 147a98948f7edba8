import type { MetadataStorage } from 'class-transformer/types/MetadataStorage.js';
// class-transformer keeps its decorators' metadata in a module that its index does not export, and
// ships no type declarations beside its CommonJS build; this is the instance its decorators fill.
// @ts-expect-error: no declarations for the CommonJS path
import { defaultMetadataStorage } from 'class-transformer/cjs/storage.js';

export const transformerMetadata = defaultMetadataStorage as MetadataStorage;
