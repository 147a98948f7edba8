import { Injectable } from '@nestjs/common';
import type { CreateUserDto } from '../chat/dto/create-user.dto.js';

export interface User extends CreateUserDto {
  id: number;
}

/** An in-memory user store, injected into ChatService to show ordinary Nest DI. */
@Injectable()
export class UsersService {
  private readonly users: User[] = [];

  create(data: CreateUserDto): User {
    const user: User = { ...data, id: this.users.length + 1 };
    this.users.push(user);
    return user;
  }

  count(): number {
    return this.users.length;
  }
}
