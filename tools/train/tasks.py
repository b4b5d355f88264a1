"""Generated task text: IOI sentences and induction (repeated random spans).

Names, places, objects and templates are split into a training part and a
held-out part; the held-out part never appears in generated training text.
Every name is a single token with its leading space (tokenizer.py forces it).
"""
import random
import re

TRAIN_NAMES = """Mary John Alice Bob James Robert Michael William David Richard Joseph
Thomas Charles Daniel Matthew Anthony Mark Paul Steven Andrew George Edward Peter
Henry Frank Jack Samuel Patrick Adam Simon Arthur Lucas Oliver Harry Oscar Leo Max
Victor Martin Louis Philip Ryan Eric Sean Carl Alan Roger Scott Hugo Felix Sarah
Anna Emma Linda Susan Karen Lisa Nancy Betty Sandra Ruth Helen Rachel Rose Julia
Clara Lucy Sophie Kate Jane Amy Diana Maria Eva Nina Ella Olivia Hannah Leah Mia
Zoe Ada Iris Vera Paula Carol Donna Joan Martha Judy Ann Beth Claire Amanda
Jessica Jennifer Michelle Kim Tom Ben Sam Joe Tim Dan Nick Luke Fred Ted""".split()

# Held out for evaluation only (chosen to be absent from the natural corpus too).
HELDOUT_NAMES = """Kevin Brian Kyle Travis Trevor Brandon Shane Corey Garrett Brent
Larry Keith Megan Kayla Courtney Heather Jasmine Lindsey Kelsey Kendra Hailey Alyssa
Jenna Wendy""".split()

TRAIN_PLACES = """store school park garden market office hospital station library
museum church beach restaurant house kitchen farm river lake forest city village
bank bakery cinema theater stadium harbor hotel shop square bridge zoo castle
mountain field valley cafe hall""".split()
HELDOUT_PLACES = "airport gym pharmacy mall laboratory campsite".split()

TRAIN_OBJECTS = """drink book ring key letter apple bag pen cup basket box flower hat
coat ball card gift map coin knife bottle candle lamp plate bowl cake bread shirt
watch stone rope picture blanket ticket toy chair kite shell""".split()
HELDOUT_OBJECTS = "guitar necklace umbrella computer sandwich telescope".split()

# {A} and {B} are the two names of the first clause, {S} the subject of the
# second clause; every prompt ends with " to" and the answer is the other name.
TRAIN_TEMPLATES = [
    "When {A} and {B} went to the {P}, {S} gave a {O} to",
    "When {A} and {B} got a {O} at the {P}, {S} decided to give it to",
    "When {A} and {B} got a {O} at the {P}, {S} decided to give the {O} to",
    "While {A} and {B} were working at the {P}, {S} gave a {O} to",
    "While {A} and {B} were commuting to the {P}, {S} gave a {O} to",
    "After {A} and {B} went to the {P}, {S} gave a {O} to",
    "Afterwards, {A} and {B} went to the {P}. {S} gave a {O} to",
    "Then, {A} and {B} went to the {P}. {S} gave a {O} to",
    "Then, {A} and {B} were working at the {P}. {S} decided to give a {O} to",
    "Then, {A} and {B} were thinking about going to the {P}. {S} wanted to give a {O} to",
    "Then, {A} and {B} had a long argument, and afterwards {S} said to",
    "After the lunch, {A} and {B} went to the {P}. {S} gave a {O} to",
    "The {P} {A} and {B} went to had a {O}. {S} gave it to",
    "Yesterday {A} and {B} walked to the {P}, and {S} handed a {O} to",
    "At the {P}, {A} and {B} found a {O}, and {S} passed it to",
    "Today {A} and {B} were cleaning the {P} when {S} brought a {O} to",
    "On Sunday {A} and {B} visited the {P}, where {S} sold a {O} to",
    "Later, {A} and {B} met at the {P}, and {S} showed a {O} to",
    "When {A} and {B} came home from the {P}, {S} offered a {O} to",
]
HELDOUT_TEMPLATES = [
    "Then, {A} and {B} had a lot of fun at the {P}. {S} gave a {O} to",
    "Friends {A} and {B} found a {O} at the {P}. {S} gave it to",
    "Once {A} and {B} arrived at the {P}, {S} threw a {O} to",
    "As {A} and {B} waited at the {P}, {S} lent a {O} to",
    "Before {A} and {B} left the {P}, {S} sent a {O} to",
]


def _articles(text):
    return re.sub(r"\ba ([aeiou])", r"an \1", text)


def ioi_example(rng, names, places, objects, templates, order=None):
    """One IOI prompt. order 'ABB' (IO first) or 'BAB' (subject first)."""
    io, s = rng.sample(names, 2)
    order = order or rng.choice(["ABB", "BAB"])
    t = rng.choice(templates)
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
