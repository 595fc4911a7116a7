// A Paddle inference program file of either format, told apart by its content (not its name): Paddle 3's PIR
// program (`*.json`, text starting `{"base_code":{"magic":"pir"…`) or the protobuf ProgramDesc (`*.pdmodel`,
// `__model__`). Both become the same internal program, so everything after this point has one code path.
import { lowerPir } from './pir/lower.ts';
import { looksLikePir, readPirProgram } from './pir/reader.ts';
import { parseProgram } from './program.ts';
import type { ProgramDesc } from './types.ts';

export type ProgramFormat = 'pir' | 'pdmodel';

/**
 * The format of a program file from its first bytes: JSON text (`{"…`, which no serialized ProgramDesc starts
 * with: its first byte is field 1's tag 0x0a, then a length) is read as a PIR program, so a PIR file with a wrong magic, an unknown
 * version or cut short gets the PIR reader's message rather than a protobuf decoding error.
 */
export function programFormat(bytes: Uint8Array): ProgramFormat {
  if (looksLikePir(bytes)) return 'pir';
  return /^\s*\{\s*"/.test(Buffer.from(bytes.subarray(0, 64)).toString('latin1')) ? 'pir' : 'pdmodel';
}

/** Parse a program file of either format into the internal program. `file` names the source in errors. */
export function parseModelFile(bytes: Uint8Array, file = '<program>'): { program: ProgramDesc; format: ProgramFormat } {
  if (programFormat(bytes) === 'pir') return { program: lowerPir(readPirProgram(bytes, file), file), format: 'pir' };
  return { program: parseProgram(bytes, file), format: 'pdmodel' };
}
