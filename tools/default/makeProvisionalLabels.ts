import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { allLogitEffectsOnnx, decoderOf, unembeddingOf } from '../../src/engine/labels/logitEffects';
import { PROVISIONAL_TOKEN_COUNT, provisionalLabel } from '../../src/engine/labels/provisionalLabels';
import { loadCheckpoint } from '../../src/engine/model/checkpoint';
import { PROVISIONAL_LABELS_FILE } from '../../src/engine/sae/labels';
import { loadSae } from '../../src/engine/sae/loadSae';

/**
 * `npm run make-provisional-labels [artifact folder]`: writes saes/<hook>/provisional_labels.json
 * for every SAE of the default model (media/default unless a folder is given), one
 * `"<index>": "↑ …"` line per feature, so the feature browser can list a label for every feature
 * without computing logit effects for all of them at run time.
 */
async function main(): Promise<void> {
  const root = process.argv[2] ? resolve(process.argv[2]) : join(__dirname, '..', '..', 'media', 'default');
  const checkpoint = loadCheckpoint(join(root, 'model'));
  const unembedding = unembeddingOf(checkpoint);
  const decode = (token: number) => checkpoint.tokenizer.decode([token]);
  const saesDir = join(root, 'saes');
  for (const name of readdirSync(saesDir).sort()) {
    const folder = join(saesDir, name);
    if (!existsSync(join(folder, 'cfg.json'))) continue;
    const started = performance.now();
    const sae = loadSae(folder);
    const effects = await allLogitEffectsOnnx(decoderOf(sae), unembedding, { k: PROVISIONAL_TOKEN_COUNT, runner: { threads: 0 } });
    const lines = effects.map((e) => `  ${JSON.stringify(String(e.feature))}: ${JSON.stringify(provisionalLabel(e, decode).text)}`);
    const path = join(folder, PROVISIONAL_LABELS_FILE);
    writeFileSync(path, `{\n${lines.join(',\n')}\n}\n`);
    console.log(`${path}: ${effects.length} labels (${Math.round(performance.now() - started)} ms)`);
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
