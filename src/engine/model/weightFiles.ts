import { existsSync, readFileSync } from 'node:fs';
import { join, resolve, sep } from 'node:path';
import { fileError, MechLensError } from '../errors';
import { SafetensorsFile, type TensorInfo } from './safetensors';

export const SINGLE_FILE = 'model.safetensors';
export const SHARD_INDEX = 'model.safetensors.index.json';

/**
 * The weights of a checkpoint folder: one model.safetensors, or shards listed by
 * model.safetensors.index.json ({metadata, weight_map: {tensor: file}}).
 */
export class WeightFiles {
  private constructor(
    private readonly files: SafetensorsFile[],
    private readonly fileOf: Map<string, SafetensorsFile>,
    /** model.safetensors or the shard index: the file to name when a tensor is missing. */
    readonly mainPath: string,
  ) {}

  static open(dir: string): WeightFiles {
    const single = join(dir, SINGLE_FILE);
    const index = join(dir, SHARD_INDEX);
    if (existsSync(single)) {
      const file = SafetensorsFile.open(single);
      return new WeightFiles([file], new Map([...file.tensors.keys()].map((name) => [name, file])), single);
    }
    if (existsSync(index)) return WeightFiles.openSharded(dir, index);
    throw new MechLensError(`${dir}: no ${SINGLE_FILE} or ${SHARD_INDEX} (only safetensors checkpoints are supported; convert pytorch_model.bin first)`, dir);
  }

  private static openSharded(dir: string, indexPath: string): WeightFiles {
    let index: unknown;
    try {
      index = JSON.parse(readFileSync(indexPath, 'utf8'));
    } catch (e) {
      throw fileError(indexPath, `not valid JSON (${(e as Error).message})`);
    }
    const weightMap = (index as { weight_map?: unknown } | null)?.weight_map;
    if (typeof weightMap !== 'object' || weightMap === null || Array.isArray(weightMap)) {
      throw fileError(indexPath, 'weight_map must be an object of tensor name to shard file');
    }
    const root = resolve(dir);
    const shards = new Map<string, SafetensorsFile>();
    const fileOf = new Map<string, SafetensorsFile>();
    try {
      for (const [tensor, shardName] of Object.entries(weightMap)) {
        if (typeof shardName !== 'string' || !resolve(root, shardName).startsWith(root + sep)) {
          throw fileError(indexPath, `weight_map.${tensor}: ${JSON.stringify(shardName)} is not a file inside the checkpoint folder`);
        }
        let shard = shards.get(shardName);
        if (!shard) {
          shard = SafetensorsFile.open(join(dir, shardName));
          shards.set(shardName, shard);
        }
        if (!shard.get(tensor)) throw fileError(indexPath, `weight_map.${tensor}: tensor not found in ${shardName}`);
        fileOf.set(tensor, shard);
      }
    } catch (e) {
      for (const shard of shards.values()) shard.close();
      throw e;
    }
    return new WeightFiles([...shards.values()], fileOf, indexPath);
  }

  names(): string[] {
    return [...this.fileOf.keys()];
  }

  info(name: string): TensorInfo | undefined {
    return this.fileOf.get(name)?.get(name);
  }

  /** The file a tensor lives in (or the main file when it is missing), for error messages. */
  pathOf(name: string): string {
    return this.fileOf.get(name)?.path ?? this.mainPath;
  }

  readFloat32(name: string): Float32Array {
    const file = this.fileOf.get(name);
    if (!file) throw fileError(this.mainPath, `no tensor named ${name}`);
    return file.readFloat32(name);
  }

  close(): void {
    for (const file of this.files) file.close();
  }
}
