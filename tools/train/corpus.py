"""Public-domain English text from Debian packages, split into documents.

Sources (all ASCII):
  - King James Bible: `bible -f Gen1:1-Rev22:21` (packages bible-kjv,
    bible-kjv-text); one document per chapter, one verse per line.
  - WordNet 3.0 glosses and examples (wordnet-base, /usr/share/wordnet/data.*):
    "lemma: gloss" lines, 20 synsets per document.
  - fortunes-min (/usr/share/games/fortunes/{fortunes,literature,riddles}):
    one document per fortune.
Every HELDOUT_EVERY-th document of each source goes to the held-out split.
"""
import re
import subprocess

from config import HELDOUT_EVERY

WORDNET = ["/usr/share/wordnet/data." + p for p in ("noun", "verb", "adj", "adv")]
FORTUNES = ["/usr/share/games/fortunes/" + p for p in ("fortunes", "literature", "riddles")]


def bible_docs():
    out = subprocess.run(["bible", "-f", "Gen1:1-Rev22:21"], check=True,
                         capture_output=True, text=True).stdout
    docs, cur, chap = [], [], None
    for line in out.splitlines():
        m = re.match(r"^(\S+?\d+):\d+ (.*)$", line)
        if not m:
            continue
        if m.group(1) != chap and cur:
            docs.append("\n".join(cur))
            cur = []
        chap = m.group(1)
        cur.append(m.group(2).strip())
    if cur:
        docs.append("\n".join(cur))
    return docs


def wordnet_docs(per_doc=20):
    lines = []
    for path in WORDNET:
        with open(path) as f:
            for line in f:
                if line.startswith("  ") or "|" not in line:
                    continue
                fields, gloss = line.split("|", 1)
                lemma = fields.split()[4].replace("_", " ")
                lemma = re.sub(r"\((a|p|ip)\)$", "", lemma)
                lines.append(f"{lemma}: {gloss.strip()}")
    return ["\n".join(lines[i:i + per_doc]) for i in range(0, len(lines), per_doc)]


def fortune_docs():
    docs = []
    for path in FORTUNES:
        with open(path) as f:
            for chunk in f.read().split("\n%\n"):
                chunk = chunk.strip("\n%")
                if chunk.strip():
                    docs.append(chunk.replace("\t", "    "))
    return docs


def load_natural():
    """{'train': [docs], 'heldout': [docs], 'stats': {...}}"""
    train, held, stats = [], [], {}
    for name, docs in (("kjv_bible", bible_docs()), ("wordnet", wordnet_docs()),
                       ("fortunes", fortune_docs())):
        tr = [d for i, d in enumerate(docs) if i % HELDOUT_EVERY != HELDOUT_EVERY - 1]
        he = [d for i, d in enumerate(docs) if i % HELDOUT_EVERY == HELDOUT_EVERY - 1]
        train += tr
        held += he
        stats[name] = {"documents": len(docs), "chars": sum(map(len, docs)),
                       "heldout_documents": len(he)}
    return {"train": train, "heldout": held, "stats": stats}


if __name__ == "__main__":
    c = load_natural()
    print(c["stats"])
    for d in c["train"][:1] + c["train"][1200:1201] + c["train"][-3:]:
        print("----\n" + d[:300])
