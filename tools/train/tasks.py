"""Generated task text: IOI sentences, generic sentences about named people,
and induction (repeated random spans).

IOI names, places, objects and templates are split into a training part and a
held-out part; the held-out part never appears in generated IOI training text.
Training IOI sentences are composed from parts (openers, clause shapes, verb
phrases, transitions, adverbs, giving verbs), so the circuit cannot key on fixed
positions or wording; the held-out templates use words none of those parts
contain (checked by check_heldout_templates).

Every name (training and held-out) also occurs in generic generated text
("Mary went home.", lists of names, short dialogue; generic_names_text), the
way a pretrained model has seen names long before anyone runs IOI on it. That
text never has the IOI shape (two names introduced, one repeated, answer = the
other). Every name is a single token with its leading space (tokenizer.py
forces it).
"""
import random
import re

# Original 24 held-out names first (continuity with earlier runs), then more.
_HELDOUT_NAMES = """Kevin Brian Kyle Travis Trevor Brandon Shane Corey Garrett Brent
Larry Keith Megan Kayla Courtney Heather Jasmine Lindsey Kelsey Kendra Hailey Alyssa
Jenna Wendy Derek Dustin Wesley Calvin Marcus Jared Tyler Austin Colin Gordon
Norman Dennis Glenn Howard Russell Stanley Vincent Wayne Bruce Curtis Brooke Tiffany
Crystal Monica Erica Vanessa Natalie Melissa Stacy Tracy Gloria Irene Sylvia Bonnie
Sharon Theresa Valerie Lauren Chloe Autumn""".split()

_TRAIN_NAMES = """Mary John Alice Bob James Robert Michael William David Richard Joseph
Thomas Charles Daniel Matthew Anthony Mark Paul Steven Andrew George Edward Peter
Henry Frank Jack Samuel Patrick Adam Simon Arthur Lucas Oliver Harry Oscar Leo Max
Victor Martin Louis Philip Ryan Eric Sean Carl Alan Roger Scott Hugo Felix Sarah
Anna Emma Linda Susan Karen Lisa Nancy Betty Sandra Ruth Helen Rachel Rose Julia
Clara Lucy Sophie Kate Jane Amy Diana Maria Eva Nina Ella Olivia Hannah Leah Mia
Zoe Ada Iris Vera Paula Carol Donna Joan Martha Judy Ann Beth Claire Amanda
Jessica Jennifer Michelle Kim Tom Ben Sam Joe Tim Dan Nick Luke Fred Ted
Aaron Abigail Albert Alex Alexander Allen Amber Andrea Angela Anne Annie Arnold
Audrey Barbara Benjamin Bernard Beverly Bradley Brenda Caleb Carlos Caroline Catherine
Cecilia Chad Charlotte Cheryl Christina Christopher Cindy Clarence Craig Cynthia
Dale Dana Danny Darren Dave Dean Deborah Debra Denise Dolores Doris Dorothy Douglas
Dylan Eddie Edith Edgar Eileen Elaine Eleanor Elena Eli Elijah Elizabeth Ellen
Elsie Emily Ethan Eugene Evan Evelyn Faith Fiona Florence Frances Gabriel Gary
Gavin Gerald Gilbert Grace Greg Harold Harvey Hazel Heidi Herbert Holly Ian Isaac
Isabel Ivan Jacob Jake Jamie Janet Jason Jean Jeff Jeremy Jesse Jill Jim Jimmy
Joanna Joel Jonathan Jordan Josh Joyce Julian Julie June Justin Karl Katie Kelly
Kenneth Kurt Laura Lena Leon Leonard Lewis Lillian Lily Lois Lorraine Louise Lynn
Madison Marcia Margaret Marie Marilyn Marion Marvin Matt Maurice Maxine Melvin
Mildred Miriam Mitchell Molly Morgan Nathan Neil Nelson Noah Noel Nora Norma Owen
Pamela Peggy Penny Phyllis Ralph Randy Ray Rebecca Rita Robin Rodney Ronald Rosa
Roy Russ Sally Sara Seth Sheila Shirley Sofia Stella Stephen Steve Stuart Sylvester
Teresa Terry Tina Todd Tony Tracy Troy Ursula Vernon Vivian Walter Warren Wilma""".split()

# dedupe (a name may only be in one list)
_seen = set(_HELDOUT_NAMES)
HELDOUT_NAMES = list(dict.fromkeys(_HELDOUT_NAMES))
TRAIN_NAMES = [n for n in dict.fromkeys(_TRAIN_NAMES) if n not in _seen]
ALL_NAMES = TRAIN_NAMES + HELDOUT_NAMES

TRAIN_PLACES = """store school park garden market office hospital station library
museum church beach restaurant house kitchen farm river lake forest city village
bank bakery cinema theater stadium harbor hotel shop square bridge zoo castle
mountain field valley cafe hall barn pool club studio factory garage church
playground island temple tower cottage""".split()
TRAIN_PLACES = list(dict.fromkeys(TRAIN_PLACES))
HELDOUT_PLACES = "airport gym pharmacy mall laboratory campsite".split()

TRAIN_OBJECTS = """drink book ring key letter apple bag pen cup basket box flower hat
coat ball card gift map coin knife bottle candle lamp plate bowl cake bread shirt
watch stone rope picture blanket ticket toy chair kite shell pencil scarf glove
bell drum note photo orange egg pie jar mirror wallet brush clock""".split()
HELDOUT_OBJECTS = "guitar necklace umbrella computer sandwich telescope".split()

# ---------------------------------------------------------------------------
# Held-out IOI templates ({A}, {B} first clause, {S} second-clause subject; the
# prompt ends with " to" and the answer is the other name). Every one contains
# at least one word that no training part contains (HELDOUT_MARKERS).
HELDOUT_TEMPLATES = [
    "Then, {A} and {B} had a lot of fun at the {P}. {S} gave a {O} to",
    "Friends {A} and {B} found a {O} at the {P}. {S} gave it to",
    "Once {A} and {B} arrived at the {P}, {S} threw a {O} to",
    "As {A} and {B} waited at the {P}, {S} lent a {O} to",
    "Before {A} and {B} left the {P}, {S} sent a {O} to",
    "It was late when {A} and {B} left the {P}, and {S} sent a {O} to",
    "Then {A} waited for {B} outside the {P}. Once there, {S} threw a {O} to",
    "As soon as {A} and {B} had fun at the {P}, {S} lent the {O} to",
]
HELDOUT_MARKERS = {"fun", "Friends", "found", "Once", "arrived", "threw", "As", "waited",
                   "lent", "Before", "left", "sent", "late", "It", "outside", "there", "soon"}

# ---------------------------------------------------------------------------
# Compositional training templates.
_AB = [("{A} and {B}", 8), ("both {A} and {B}", 1), ("{A} along with {B}", 1),
       ("{A} together with {B}", 1)]
_VP = """went to the {P}|walked to the {P}|ran to the {P}|drove to the {P}|visited the {P}
|met at the {P}|got a {O} at the {P}|bought a {O} at the {P}|saw a {O} in the {P}
|were working at the {P}|were commuting to the {P}|were sitting in the {P}|were cleaning the {P}
|were eating lunch at the {P}|were talking at the {P}|were playing near the {P}
|came home from the {P}|got back from the {P}|stopped by the {P}|spent the day at the {P}
|had dinner at the {P}|had a long argument|had a big fight|were thinking about going to the {P}
|stayed at the {P}|looked around the {P}|reached the {P}|got to the {P}|entered the {P}
|painted the {P}|cleaned up the {P}|were getting ready to go to the {P}|were at the {P}
|took a walk to the {P}|were resting in the {P}|went shopping at the {P}|were studying at the {P}
|made a {O} in the {P}|were looking for a {O}|were reading in the {P}""".replace("\n", "").split("|")
# two names in different roles ("{A} met {B} ...")
_PAIR = """{A} met {B} at the {P}|{A} saw {B} at the {P}|{A} called {B}|{A} visited {B} at the {P}
|{A} helped {B} at the {P}|{A} talked with {B} in the {P}|{A} ran into {B} at the {P}
|{A} went to the {P} with {B}|{A} and {B} were together at the {P}""".replace("\n", "").split("|")
_SUB = ["When", "While", "After", "Just after", "Because", "Since", "Whenever", "The moment",
        "Right after", "Every time", "Although", "Soon after", "The day", "Now that"]
_PRE = ["", "", "", "Yesterday, ", "Today ", "On Monday, ", "On Sunday ", "Last week, ",
        "In the morning, ", "That evening ", "One day, ", "Earlier, ", "Afterwards, ", "Then, ",
        "Later, ", "After the lunch, ", "At noon, ", "Last year ", "Then ", "This morning "]
_TRANS = ["", "", "", "Then ", "Then, ", "Later, ", "After that, ", "Afterwards ", "Next, ",
          "In the end, ", "Eventually, ", "Later that day, ", "So ", "Finally, "]
_COORD = [", and ", ", so ", ", but ", " and then ", ". "]
_ADV = ["", "", "", "", "quickly ", "kindly ", "finally ", "happily ", "proudly ", "then ",
        "later ", "secretly ", "gladly ", "carefully ", "also "]
_GIVE = [("gave", "give"), ("handed", "hand"), ("passed", "pass"), ("brought", "bring"),
         ("offered", "offer"), ("showed", "show"), ("sold", "sell"), ("mailed", "mail"),
         ("returned", "return"), ("tossed", "toss"), ("delivered", "deliver"),
         ("gifted", "gift"), ("promised", "promise"), ("read", "read")]
_MODAL = ["decided to", "wanted to", "tried to", "had to", "agreed to", "chose to",
          "offered to", "promised to", "was going to", "would", "could", "forgot to"]
_DET = ["a", "a", "a", "the", "the", "a new", "an old", "a small", "his", "her", "one"]
_SAY = ["said goodbye to", "said hello to", "talked to", "spoke to", "waved to",
        "wrote a letter to", "sang a song to", "read a story to", "explained the plan to",
        "complained to", "whispered to", "shouted to", "said to", "was kind to",
        "listened to", "made a promise to", "told a joke to", "said sorry to"]


def _w(rng, pairs):
    return rng.choices([p for p, _ in pairs], weights=[w for _, w in pairs])[0]


G1 = {"AB": _AB, "VP": _VP, "PAIR": _PAIR, "SUB": _SUB, "PRE": _PRE, "TRANS": _TRANS,
      "COORD": _COORD, "ADV": _ADV, "GIVE": _GIVE, "MODAL": _MODAL, "DET": _DET, "SAY": _SAY}
# Training phase 2 adds parts (more giving verbs, more two-role shapes and openers); phase 1
# draws from G1 only, exactly as before the extension.
G2 = {**G1,
      "GIVE": _GIVE + [("kicked", "kick"), ("rolled", "roll"), ("slid", "slide"), ("pushed", "push"),
                       ("served", "serve"), ("paid", "pay"), ("awarded", "award"), ("fed", "feed"),
                       ("carried", "carry"), ("flung", "fling"), ("forwarded", "forward"),
                       ("presented", "present"), ("lowered", "lower"), ("sold back", "sell back")],
      "PAIR": _PAIR + """{A} looked for {B} in the {P}|{A} sat with {B} in the {P}
|{A} played with {B} at the {P}|{A} stayed with {B} at the {P}|{A} had lunch with {B} at the {P}
|{A} asked {B} about the {O}|{A} phoned {B}|{A} greeted {B} at the {P}|{A} joined {B} at the {P}
|{A} followed {B} into the {P}|{A} hugged {B}|{A} thanked {B} for the {O}""".replace("\n", "").split("|"),
      "SUB": _SUB + ["If", "By the time", "Even though", "Shortly after", "Each time", "Ever since"],
      "VP": _VP + """were standing by the {P}|walked home from the {P}|were dancing at the {P}
|were waiting in line at the {P}|rode their bikes to the {P}|were having tea at the {P}
|got lost near the {P}|were singing in the {P}|moved into a house near the {P}""".replace("\n", "").split("|"),
      "SAY": _SAY + ["wrote a note to", "gave a speech to", "read a poem to", "sang to"]}


def _main_clause(rng, g=G1):
    if "GIVE_WN" in g and rng.random() < 0.5:      # phase 2: any WordNet verb
        past, base = rng.choice(g["GIVE_WN"])
        return "{S} " + (past if rng.random() < 0.5 else rng.choice(g["MODAL"]) + " " + base) \
            + " " + rng.choice(g["DET"]) + " {O} to"
    r = rng.random()
    if r < 0.45:
        return "{S} " + rng.choice(g["ADV"]) + rng.choice(g["GIVE"])[0] + " " + rng.choice(g["DET"]) + " {O} to"
    if r < 0.65:
        return "{S} " + rng.choice(g["MODAL"]) + " " + rng.choice(g["GIVE"])[1] + " " + rng.choice(g["DET"]) + " {O} to"
    if r < 0.75:
        return "{S} " + rng.choice(g["ADV"]) + rng.choice(g["GIVE"])[0] + " it to"
    return "{S} " + rng.choice(g["ADV"]) + rng.choice(g["SAY"])


def _first_clause(rng, g=G1):
    if rng.random() < 0.2:
        return rng.choice(g["PAIR"])
    return _w(rng, g["AB"]) + " " + rng.choice(g["VP"])


def _cap(s):
    return s[0].upper() + s[1:]


def train_template(rng, g=G1):
    """One training template composed from parts. Never starts with a name (a
    sentence-initial name has no leading space and would not be one token)."""
    t = _compose(rng, g)
    while t.startswith("{"):
        t = _cap(rng.choice([p for p in g["PRE"] if p])) + t
    return t


def train_template2(rng, g=None):
    return train_template(rng, g or G2)


def _past(v):
    """Regular past tense (irregular verbs come out regularised: fine for this purpose)."""
    if v.endswith("e"):
        return v + "d"
    if v.endswith("y") and v[-2] not in "aeiou":
        return v[:-1] + "ied"
    if len(v) <= 4 and v[-1] not in "aeiouwxy" and v[-2] in "aeiou" and v[-3] not in "aeiou":
        return v + v[-1] + "ed"
    return v + "ed"


# base forms of the held-out templates' verbs, excluded with the marker words themselves
_HELDOUT_VERB_BASES = {"throw", "lend", "send", "wait", "arrive", "leave", "find"}


def wordnet_verbs():
    """(past, base) for every single-word lowercase WordNet verb of 3-9 letters (~7000),
    except the held-out templates' verbs and marker words."""
    vs = set()
    with open("/usr/share/wordnet/data.verb") as f:
        for line in f:
            if line.startswith("  "):
                continue
            fields = line.split()
            for i in range(int(fields[3], 16)):
                w = fields[4 + 2 * i]
                if w.isalpha() and w.islower() and 3 <= len(w) <= 9:
                    vs.add(w)
    bad = _HELDOUT_VERB_BASES | {m.lower() for m in HELDOUT_MARKERS}
    return [(_past(v), v) for v in sorted(vs) if v not in bad and _past(v) not in bad]


def _compose(rng, g):
    main = _main_clause(rng, g)
    r = rng.random()
    if r < 0.35:     # subordinate clause, main clause
        return rng.choice(g["SUB"]) + " " + _first_clause(rng, g) + ", " + main
    if r < 0.7:      # two sentences
        return _cap(rng.choice(g["PRE"]) + _first_clause(rng, g)) + ". " + rng.choice(g["TRANS"]) + main
    if r < 0.9:      # one coordinated sentence
        c = rng.choice(g["COORD"])
        return _cap(rng.choice(g["PRE"]) + _first_clause(rng, g)) + c \
            + ("" if c != ". " else rng.choice(g["TRANS"])) + main
    # a place or object first
    return rng.choice(["At the {P}, ", "In the {P}, ", "Near the {P}, ", "Inside the {P}, "]) \
        + _first_clause(rng, g).replace(" at the {P}", "").replace(" in the {P}", "") \
        + rng.choice([", and ", ". "]) + main


TRAIN_TEMPLATES = train_template   # callable: ioi_example draws a fresh composition


def check_heldout_templates(n=20000, seed=0):
    """No training part contains a held-out marker word, and no composed
    training template equals a held-out template."""
    for g in (G1, G2):
        parts = " ".join([p for p, _ in g["AB"]] + [w for k, v in g.items() if k not in ("AB", "GIVE")
                                                     for w in v] + [w for gg in g["GIVE"] for w in gg])
        words = set(re.findall(r"[A-Za-z]+", parts))
        assert not words & HELDOUT_MARKERS, words & HELDOUT_MARKERS
    for t in HELDOUT_TEMPLATES:
        assert set(re.findall(r"[A-Za-z]+", t)) & HELDOUT_MARKERS, t
    wn = wordnet_verbs()
    assert not {w for pair in wn for w in pair} & (HELDOUT_MARKERS | _HELDOUT_VERB_BASES)
    rng = random.Random(seed)
    seen = {train_template(rng) for _ in range(n)}
    seen2 = {train_template2(rng) for _ in range(n)}
    g3 = {**G2, "GIVE_WN": wn}
    seen3 = {train_template2(rng, g3) for _ in range(n)}
    parts = generic_parts()
    seen4 = {generic_template(rng, parts, g3) for _ in range(n)}
    words4 = set(re.findall(r"[A-Za-z]+", " ".join(seen4)))
    assert not words4 & HELDOUT_MARKERS, words4 & HELDOUT_MARKERS
    # in any case, except words of the G1/G2 parts (checked above, case-sensitively: "it")
    g_words = {w.lower() for w in re.findall(r"[A-Za-z]+", " ".join(
        [p for p, _ in G2["AB"]] + [w for k, v in G2.items() if k not in ("AB", "GIVE") for w in v]
        + [w for gg in G2["GIVE"] for w in gg] + _PREP))} | {"it"}   # "{S} gave it to"
    low4 = {w.lower() for w in words4} - g_words
    assert not low4 & _banned_words(), low4 & _banned_words()
    nw = noise_words(parts)
    assert not set(nw) & _banned_words()
    parts5 = {**parts, "bare_opener_frac": 0.5, "words": nw}
    seen5 = {insert_noise_words(rng, generic_template(rng, parts5, g3), nw, 3) for _ in range(n // 4)}
    words5 = set(re.findall(r"[A-Za-z]+", " ".join(seen5)))
    assert not words5 & HELDOUT_MARKERS, words5 & HELDOUT_MARKERS
    assert not (seen | seen2 | seen3 | seen4 | seen5) & set(HELDOUT_TEMPLATES)
    return len(seen)


def _articles(text):
    return re.sub(r"\ba ([aeiou])", r"an \1", text)


def ioi_example(rng, names, places, objects, templates, order=None):
    """One IOI prompt. order 'ABB' (IO first) or 'BAB' (subject first).
    templates: a list (one is drawn) or a callable rng -> template."""
    io, s = rng.sample(names, 2)
    order = order or rng.choice(["ABB", "BAB"])
    t = templates(rng) if callable(templates) else rng.choice(templates)
    p, o = rng.choice(places), rng.choice(objects)
    a, b = (io, s) if order == "ABB" else (s, io)
    fill = lambda A, B, S: _articles(t.format(A=A, B=B, S=S, P=p, O=o))
    others = [n for n in names if n not in (io, s)]
    c, d, e = rng.sample(others, 3)
    return {
        "prompt": fill(a, b, s),
        "answer": " " + io,
        "wrong": " " + s,
        # same tokens except the second-clause subject: the answer flips to S
        "corrupted": fill(a, b, io),
        # first-clause names swapped (answer unchanged; a control)
        "corrupted_first_clause_swap": fill(b, a, s),
        # ABC: three unrelated names (Wang et al. 2022)
        "corrupted_abc": fill(c, d, e),
        "order": order, "template": t, "io": io, "s": s, "place": p, "object": o,
    }


def ioi_train_example(rng):
    return ioi_example(rng, TRAIN_NAMES, TRAIN_PLACES, TRAIN_OBJECTS, TRAIN_TEMPLATES)


def phase2_nouns(tok, single_token=True):
    """Training phase 2's places and objects: every single-word lowercase WordNet noun lemma
    that is one token with its leading space (~780), except the held-out places, objects and
    template words. With many different content words in IOI sentences, "a word the
    template does not usually contain" stops being a cue for "a name"."""
    lemmas = set()
    with open("/usr/share/wordnet/data.noun") as f:
        for line in f:
            if not line.startswith("  "):
                w = line.split()[4]
                if w.isalpha() and w.islower() and len(w) >= 3:
                    lemmas.add(w)
    excluded = set(HELDOUT_PLACES + HELDOUT_OBJECTS) | {m.lower() for m in HELDOUT_MARKERS}
    return sorted(w for w in lemmas if w not in excluded and w.capitalize() not in ALL_NAMES
                  and (len(tok.encode(" " + w)) == 1 if single_token else len(w) <= 10))


def sentence_initial_words(text, min_count=20):
    """Capitalised words that start at least min_count sentences (or lines) of `text`, most
    frequent first, without banned words or names: openers the natural text uses."""
    counts = {}
    for w in re.findall(r"(?:^|[.!?;:]\s+|\n)([A-Z][a-z]+)\s", text):
        counts[w] = counts.get(w, 0) + 1
    bad = _banned_words() | {n.lower() for n in ALL_NAMES}
    return [w for w, n in sorted(counts.items(), key=lambda x: (-x[1], x[0]))
            if n >= min_count and w.lower() not in bad]


def ioi_train_example2_factory(nouns, wordnet_verbs_too=False, generic_frac=0.0, noise_frac=0.0,
                               bare_opener_frac=0.0, openers=None, corpus_opener_frac=0.0):
    """Training phase 2: the extended grammar G2 (plus, optionally, half of the final clauses
    with any WordNet verb), places and objects from `nouns`; a fraction generic_frac of the
    templates from generic_template (bare_opener_frac of those opening with an unknown
    capitalised word right before the names, corpus_opener_frac with one of `openers`); a
    fraction noise_frac of all templates with 1-3 random words inserted (insert_noise_words)."""
    g = {**G2, "GIVE_WN": wordnet_verbs()} if wordnet_verbs_too else G2
    parts = generic_parts() if generic_frac or noise_frac or bare_opener_frac else None
    words = noise_words(parts) if noise_frac or bare_opener_frac else None
    if bare_opener_frac:
        parts = {**parts, "bare_opener_frac": bare_opener_frac, "words": words}
    if corpus_opener_frac:
        assert not set(openers) & HELDOUT_MARKERS, set(openers) & HELDOUT_MARKERS
        parts = {**parts, "corpus_opener_frac": corpus_opener_frac, "openers": openers}

    def template(r):
        t = generic_template(r, parts, g) if generic_frac and r.random() < generic_frac \
            else train_template2(r, g)
        if noise_frac and r.random() < noise_frac:
            t = insert_noise_words(r, t, words, r.randint(1, 3))
        return t
    return lambda rng: ioi_example(rng, TRAIN_NAMES, nouns, nouns, template)


def noise_words(parts):
    """The words of generic_parts (gloss fragments, adverbs, verbs): no banned word."""
    ws = {w for f in parts["fillers"] for w in f.split()} | set(parts["advs"])
    ws |= {v for pair in parts["verbs"] for v in pair}
    bad = _banned_words()
    return sorted(w for w in ws if w not in bad and w.capitalize() not in ALL_NAMES)


def insert_noise_words(rng, template, words, n):
    """Insert n random words at random word boundaries of a template, never after its final
    word ("to"); a word inserted first is capitalised, so an unknown capitalised word can
    stand right before a name ("Tolerably {A} and {B} ..."). Teaches the circuit to ignore words it does not know,
    wherever they stand."""
    ws = template.split(" ")
    for _ in range(n):
        i = rng.randrange(len(ws) - 1)
        w = rng.choice(words)
        if i == 0:
            w = _cap(w)
        ws.insert(i, w)
    return " ".join(ws)


# ---------------------------------------------------------------------------
# Structurally generic IOI sentences (training phase 2, PHASE2_GENERIC_FRAC): the two names
# and the final "{S} <verb> a {O} to" are kept, everything around them is drawn from a wide
# vocabulary: any WordNet verb in the first and the last clause, random prepositions, openers
# from WordNet adverbs, and filler fragments of WordNet glosses (lowercase words only) between
# the clauses, as a clause of the first sentence or as distractor sentences before and between
# the IOI parts. No held-out marker word, held-out verb, place, object or name (in any case)
# can occur: the word lists are filtered (check_heldout_templates also checks a sample).
_PREP = ["at", "in", "near", "by", "behind", "beside", "inside", "into", "from", "to", "around",
         "past", "across", "toward", "through", "along", "over", "under", "on", "up", "down"]


def _banned_words():
    return ({m.lower() for m in HELDOUT_MARKERS} | _HELDOUT_VERB_BASES
            | {w.lower() for w in HELDOUT_PLACES + HELDOUT_OBJECTS + HELDOUT_NAMES})


def gloss_fillers(max_n=30000):
    """Lowercase word runs of 2-7 words from WordNet glosses (the definition part, split at
    punctuation), without banned words or any capitalised word."""
    bad, out, seen = _banned_words(), [], set()
    for pos in ("noun", "verb", "adj", "adv"):
        with open(f"/usr/share/wordnet/data.{pos}") as f:
            for line in f:
                if line.startswith("  ") or "|" not in line:
                    continue
                gloss = line.split("|", 1)[1].split('"')[0]
                for frag in re.split(r"[;:,.()!?]", gloss):
                    ws = frag.split()
                    if 2 <= len(ws) <= 7 and all(w.isalpha() and w.islower() and w not in bad for w in ws):
                        t = " ".join(ws)
                        if t not in seen:
                            seen.add(t)
                            out.append(t)
    out.sort()
    return out[::max(1, len(out) // max_n)]


def wordnet_adverbs():
    bad, out = _banned_words(), set()
    with open("/usr/share/wordnet/data.adv") as f:
        for line in f:
            if not line.startswith("  "):
                w = line.split()[4]
                if w.isalpha() and w.islower() and 4 <= len(w) <= 11 and w not in bad:
                    out.add(w)
    return sorted(out)


def generic_parts():
    bad = _banned_words()
    verbs = [v for v in wordnet_verbs() if v[0] not in bad and v[1] not in bad
             and v[1].capitalize() not in ALL_NAMES]
    return {"verbs": verbs, "fillers": gloss_fillers(), "advs": wordnet_adverbs()}


def generic_template(rng, parts, g=None):
    """One structurally generic IOI template ({A}, {B}, {S}, {P}, {O} as in the others)."""
    g = g or G2
    V, F, ADV = parts["verbs"], parts["fillers"], parts["advs"]
    v = lambda: rng.choice(V)
    prep = lambda: rng.choice(_PREP)
    det = lambda: rng.choice(g["DET"])
    r = rng.random()
    if r < 0.25:
        first = "{A} and {B} " + v()[0] + " " + prep() + " the {P}"
    elif r < 0.4:
        first = "{A} and {B} " + v()[0] + " " + det() + " {O}" + (" " + prep() + " the {P}" if rng.random() < 0.6 else "")
    elif r < 0.55:
        first = "{A} " + v()[0] + " " + (prep() + " " if rng.random() < 0.5 else "") + "{B}" \
            + (" " + prep() + " the {P}" if rng.random() < 0.6 else "")
    elif r < 0.7:
        first = "{A} and {B} " + rng.choice(F) + (" " + prep() + " the {P}" if rng.random() < 0.5 else "")
    else:
        first = _first_clause(rng, g)
    if rng.random() < 0.3:                       # a filler clause inside the first sentence
        first += ", " + rng.choice(F)
    # opener: subordinate (the first clause then ends with a comma) or a sentence of its own
    r = rng.random()
    sub = r < 0.45
    if parts.get("corpus_opener_frac") and rng.random() < parts["corpus_opener_frac"]:
        # a word that starts sentences of the natural text, right before the names, as a
        # subordinating opener or alone ("Wherefore {A} and {B} ...")
        sub, opener = rng.random() < 0.6, rng.choice(parts["openers"]) + " "
    elif parts.get("bare_opener_frac") and rng.random() < parts["bare_opener_frac"]:
        # an unknown capitalised word right before the names ("Tolerably {A} and {B} ...")
        sub, opener = False, _cap(rng.choice(parts["words"])) + " "
    elif r < 0.2:
        opener = rng.choice(g["SUB"]) + " "
    elif r < 0.3:
        opener = _cap(rng.choice(ADV)) + " " + rng.choice(["when", "after", "while", "because"]) + " "
    elif r < 0.45:
        opener = "The " + rng.choice(F).split()[-1] + " was " + rng.choice(ADV) + " " \
            + rng.choice(["when", "after", "while"]) + " "
    elif r < 0.65:
        opener = _cap(rng.choice(ADV)) + ", "
    elif r < 0.8:
        opener = rng.choice(g["PRE"])
    else:
        opener = ""
    text = opener + first
    if not sub:
        text = _cap(text) if not text.startswith("{") else "Then " + text
    # between the clauses: nothing, a transition, a filler sentence, an adverbial opener
    if sub:
        text += ", " + ("and " if rng.random() < 0.2 else "")
    else:
        text += ". "
        if rng.random() < 0.35:
            text += _cap(rng.choice(F)) + ". "
        r = rng.random()
        if r < 0.3:
            text += rng.choice(g["TRANS"])
        elif r < 0.55:
            text += _cap(rng.choice(ADV)) + ", "
        elif r < 0.7:
            text += _cap(prep()) + " the {P}, "
    # final clause
    r = rng.random()
    past, base = v()
    if r < 0.35:
        main = "{S} " + past + " " + det() + " {O} to"
    elif r < 0.5:
        main = "{S} " + rng.choice(ADV) + " " + past + " " + det() + " {O} to"
    elif r < 0.6:
        main = "{S} " + rng.choice(g["MODAL"]) + " " + base + " " + det() + " {O} to"
    elif r < 0.7:
        main = "{S} " + past + " it to"
    else:
        main = _main_clause(rng, g)
    text += main
    if rng.random() < 0.25:                      # a distractor sentence before everything
        text = _cap(rng.choice(F)) + ". " + text
    return text


def ioi_train_text(rng):
    ex = ioi_train_example(rng)
    return ex["prompt"] + ex["answer"] + "."


def ioi_heldout(n, seed):
    """Held-out prompts: held-out names, templates, places and objects."""
    rng = random.Random(seed)
    return [ioi_example(rng, HELDOUT_NAMES, HELDOUT_PLACES, HELDOUT_OBJECTS,
                        HELDOUT_TEMPLATES, order=("ABB", "BAB")[i % 2]) for i in range(n)]


def ioi_split(n, seed, names, templates):
    rng = random.Random(seed)
    places = HELDOUT_PLACES if names is HELDOUT_NAMES else TRAIN_PLACES
    objects = HELDOUT_OBJECTS if names is HELDOUT_NAMES else TRAIN_OBJECTS
    return [ioi_example(rng, names, places, objects, templates, order=("ABB", "BAB")[i % 2])
            for i in range(n)]


# ---------------------------------------------------------------------------
# Generic text about named people (all names, training and held-out). One or
# two names per sentence, never an IOI shape.
_ADJ = "tall happy kind young old busy tired clever quiet brave calm shy strong polite".split()
_JOB = "teacher doctor farmer baker nurse student painter singer driver writer cook pilot".split()
_GENERIC = [
    "{N} went home.", "{N} was tired, so {N} went to bed.", "{N} is {adj}.", "{N} likes the {O}.",
    "{N} lives near the {P}.", "{N} is a {job}.", "My name is {N}.", "Hello, {N}!",
    "Thank you, {N}.", "Good night, {N}.", "{N} said, \"Hello.\"", "\"Good morning,\" said {N}.",
    "{N}, {M}, {K} and {L} are in the class.", "The winners were {N}, {M} and {K}.",
    "{N} and {M} are {adj}.", "{N} called {M} yesterday.", "{N} gave a {O} to {M}.",
    "{N} is older than {M}.", "{N}'s {O} is on the table.", "Ask {N} about the {O}.",
    "{N} smiled.", "{N} laughed.", "{N} sat down.", "Dear {N}, thank you for the {O}.",
    "{N} has a {O}.", "{N} wrote a book.", "{N} works at the {P}.", "Where is {N}?",
    "{N} is here.", "{N} married {M}.", "{N} and {M} played a game.", "This is {N}.",
    "{N} sings well.", "Everyone knows {N}.", "{N} lost the {O}, and {N} looked for it.",
    "{N} met {M}.", "I saw {N} today.", "{N}: Hi. {M}: Hello.", "{N} was a {adj} {job}.",
    "Names: {N}, {M}, {K}, {L}.", "{N} is the {job} at the {P}.", "Call {N} now.",
]


# One person named twice: the second mention has to be copied from context (no second
# person, so nothing to choose between: not the IOI task). Used in training phase 2.
_GENERIC_COPY = [
    "{N} went home. Then {N} slept.", "This is {N}. Say hello to {N}.",
    "{N} is here. Give the {O} to {N}.", "{N} has a {O}. It belongs to {N}.",
    "Ask {N}. {N} knows the way to the {P}.", "{N} smiled, and everyone waved to {N}.",
    "{N} wrote a letter. The letter was from {N}.", "Where is {N}? I need to talk to {N}.",
    "{N} is a {job}. People like {N}.", "{N} sat down. Then {N} read a book.",
    "The {O} is for {N}. Please give it to {N}.", "{N} called. Tell {N} to come home.",
    "Happy birthday, {N}! We made a cake for {N}.", "{N} won the prize. Well done, {N}!",
    "When {N} came home, the dog ran to {N}.", "{N} was {adj}. The teacher was kind to {N}.",
    "{N} lives near the {P}. We often go to see {N}.", "My friend {N} is {adj}. I like {N}.",
    "{N} lost a {O}. We gave a new {O} to {N}.", "Everyone at the {P} knows {N}. They wave to {N}.",
]


def generic_sentence(rng, names=None, copy_frac=0.0):
    names = names or ALL_NAMES
    n, m, k, l = rng.sample(names, 4)
    t = rng.choice(_GENERIC_COPY if copy_frac and rng.random() < copy_frac else _GENERIC)
    return _articles(t.format(N=n, M=m, K=k, L=l, adj=rng.choice(_ADJ), job=rng.choice(_JOB),
                              O=rng.choice(TRAIN_OBJECTS), P=rng.choice(TRAIN_PLACES)))


def generic_names_text(rng, n_sentences, copy_frac=0.0):
    out = []
    for _ in range(n_sentences):
        out.append(generic_sentence(rng, copy_frac=copy_frac))
        out.append("\n" if rng.random() < 0.2 else " ")
    return "".join(out).strip()


def induction_tokens(rng, vocab_ids, length, pairs=None):
    """Random spans repeated twice, concatenated to `length` tokens. If `pairs`
    is a list, (query, key) induction-attention targets are appended to it: each
    token of a second copy -> the position after its occurrence in the first copy."""
    out = []
    while len(out) < length:
        span = [rng.choice(vocab_ids) for _ in range(rng.randint(10, 30))]
        if pairs is not None:
            a, L = len(out), len(span)
            pairs += [(p, p - L + 1) for p in range(a + L, min(a + 2 * L, length))]
        out += span + span
    return out[:length]
