import type { Command } from 'commander';

// Placeholder until this command lands in this session.
export function register(_program: Command): void {}
