// The seed's parse_file_paths: a file is itself; a directory is every .avi/.mp4 directly in it.
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { InputError } from './errors.ts';

const VIDEO_EXT = /\.(avi|mp4)$/;

/** Files to send for `-i PATH`, sorted by name (the seed uses os.listdir order, which is arbitrary). */
export async function listVideoFiles(input: string): Promise<string[]> {
  let st;
  try {
    st = await stat(input);
  } catch (e) {
    throw new InputError('ENOENT', `${input}: no such file or directory`, input, { cause: e });
  }
  if (!st.isDirectory()) return [input];
  const names = (await readdir(input)).filter((n) => VIDEO_EXT.test(n)).sort();
  return names.map((n) => path.join(input, n));
}
