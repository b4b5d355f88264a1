// Checks that @huggingface/tokenizers (the engine's JS tokenizer) gives the
// same ids as the Python encoder. Usage:
//   node tools/train/check_tokenizer.mjs <model_dir> <cases.jsonl>
// cases.jsonl: one {"text": ..., "ids": [...]} per line (ids without BOS).
import { readFileSync } from "node:fs";
import { Tokenizer } from "@huggingface/tokenizers";

const [dir, casesPath] = process.argv.slice(2);
const json = JSON.parse(readFileSync(`${dir}/tokenizer.json`, "utf8"));
const config = JSON.parse(readFileSync(`${dir}/tokenizer_config.json`, "utf8"));
const tok = new Tokenizer(json, config);

let bad = 0, n = 0, roundtrip = 0;
for (const line of readFileSync(casesPath, "utf8").split("\n")) {
  if (!line.trim()) continue;
  const { text, ids } = JSON.parse(line);
  const got = tok.encode(text, { add_special_tokens: false }).ids;
  n++;
  if (JSON.stringify(got) !== JSON.stringify(ids)) {
    if (bad++ < 5) console.log("MISMATCH", JSON.stringify(text).slice(0, 200), "\n py", ids.slice(0, 40).join(","), "\n js", got.slice(0, 40).join(","));
  }
  if ((ids.length ? tok.decode(ids) : "") === text) roundtrip++;
}
const eot = tok.encode("<|endoftext|>", { add_special_tokens: false }).ids;
console.log(JSON.stringify({ cases: n, mismatches: bad, decode_roundtrip: roundtrip, eot_ids: eot }));
process.exit(bad === 0 ? 0 : 1);
