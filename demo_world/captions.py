"""COCO-style captions for a demo scene, written the way people write them.

Captions name categories by synonyms and paraphrases ("a man", "a pony", "the table"), use plurals
("two women", "three children"), describe one or two ground-truth relations, count objects, or say
nothing relational at all ("a sunny day outside"). With some probability one caption states a
relation between present entities that the ground truth does not have (caption noise).
"""

import random
from collections import Counter
from collections.abc import Callable

from demo_world.scene import DemoRelation, DemoScene
from demo_world.triplets import DEMO_TRIPLETS
from demo_world.vocabulary import DemoCategory, category_by_name, predicate_by_name

NUM_CAPTIONS = 5
NOISE_PROBABILITY = 0.2
_MAX_DRAWS_FOR_DISTINCT = 50  # then duplicates are accepted (scenes with little to say)

_NUMBER_WORDS = {2: "two", 3: "three", 4: "four"}
_SETTINGS = ("outside", "in a park", "on a sunny day", "in the picture")
_OUTDOOR_NON_RELATIONAL = (
    "a sunny day outside",
    "an outdoor scene on a clear day",
    "a bright day with a blue sky",
    "a picture of some objects",
    "a simple cartoon scene",
)
_PLAIN_NON_RELATIONAL = (
    "a picture of some objects",
    "some shapes on a plain background",
    "a simple drawing",
    "a colorful illustration",
    "a cartoon picture with a plain background",
)


def _with_article(noun: str, rng: random.Random) -> str:
    if rng.random() < 0.25:
        return f"the {noun}"
    return f"{'an' if noun[0] in 'aeiou' else 'a'} {noun}"


def _singular_phrase(category: DemoCategory, rng: random.Random) -> str:
    """The category's name 35% of the time, otherwise one of its singular synonyms."""
    noun = category.name if rng.random() < 0.35 else rng.choice(category.synonyms)
    return _with_article(noun, rng)


def _plural_phrase(category: DemoCategory, count: int, rng: random.Random) -> str:
    noun = rng.choice(category.plural_synonyms)
    return f"{_NUMBER_WORDS.get(count, 'several')} {noun}"


def _clause(
    subject: str, predicate_phrase: str, object_: str, *, plural: bool, rng: random.Random
) -> str:
    """The pattern "a man riding a horse", "a man is riding ..." or "there is a man riding ..."."""
    form = rng.random()
    if form < 0.55:
        return f"{subject} {predicate_phrase} {object_}"
    if form < 0.8:
        return f"{subject} {'are' if plural else 'is'} {predicate_phrase} {object_}"
    return f"there {'are' if plural else 'is'} {subject} {predicate_phrase} {object_}"


def _relation_caption(scene: DemoScene, relation: DemoRelation, rng: random.Random) -> str:
    """One ground-truth relation; when the scene repeats its triplet, mostly in the plural."""
    subject = scene.objects[relation.subject_index].category
    object_ = scene.objects[relation.object_index].category
    predicate_phrase = rng.choice(relation.predicate.caption_phrases)
    triplet = _triplet_names(scene, relation)
    repeats = sum(_triplet_names(scene, other) == triplet for other in scene.relations)
    if repeats > 1 and rng.random() < 0.7:
        subject_phrase = _plural_phrase(subject, repeats, rng)
        object_phrase = rng.choice(object_.plural_synonyms)
        return _clause(subject_phrase, predicate_phrase, object_phrase, plural=True, rng=rng)
    subject_phrase, object_phrase = _singular_phrase(subject, rng), _singular_phrase(object_, rng)
    caption = _clause(subject_phrase, predicate_phrase, object_phrase, plural=False, rng=rng)
    if rng.random() < 0.15:
        caption = f"{caption} {rng.choice(_SETTINGS)}"
    return caption


def _distinct_triplet_relations(scene: DemoScene) -> list[DemoRelation]:
    """One relation per distinct (subject category, predicate, object category) of the scene."""
    first_by_triplet: dict[tuple[str, str, str], DemoRelation] = {}
    for relation in scene.relations:
        first_by_triplet.setdefault(_triplet_names(scene, relation), relation)
    return [first_by_triplet[triplet] for triplet in sorted(first_by_triplet)]


def _pair_caption(scene: DemoScene, rng: random.Random) -> str:
    """Two relations with different triplets joined by "and"."""
    first, second = rng.sample(_distinct_triplet_relations(scene), 2)
    return f"{_relation_caption(scene, first, rng)} and {_relation_caption(scene, second, rng)}"


def _counting_caption(scene: DemoScene, rng: random.Random) -> str:
    """Lists up to three present categories with their counts: "two men, a dog and a bench"."""
    counts = Counter(demo_object.category.name for demo_object in scene.objects)
    names = rng.sample(sorted(counts), min(len(counts), rng.randint(1, 3)))
    phrases = [
        _plural_phrase(category_by_name(name), counts[name], rng)
        if counts[name] > 1
        else _singular_phrase(category_by_name(name), rng)
        for name in names
    ]
    if len(phrases) == 1:
        there_is = "there are" if counts[names[0]] > 1 else "there is"
        return f"{rng.choice(('a picture of', there_is, 'a photo of'))} {phrases[0]}"
    listed = f"{', '.join(phrases[:-1])} and {phrases[-1]}"
    return listed if rng.random() < 0.5 else f"a picture of {listed}"


def _non_relational_caption(scene: DemoScene, rng: random.Random) -> str:
    plain = scene.background.sky_colour == scene.background.ground_colour
    return rng.choice(_PLAIN_NON_RELATIONAL if plain else _OUTDOOR_NON_RELATIONAL)


def _triplet_names(scene: DemoScene, relation: DemoRelation) -> tuple[str, str, str]:
    subject = scene.objects[relation.subject_index].category.name
    return subject, relation.predicate.name, scene.objects[relation.object_index].category.name


def _noise_caption(scene: DemoScene, rng: random.Random) -> str | None:
    """A plausible triplet between two present entities that no ground-truth relation states."""
    true_triplets = {_triplet_names(scene, relation) for relation in scene.relations}
    present = {demo_object.category.name for demo_object in scene.objects}
    candidates = [
        triplet
        for triplet in DEMO_TRIPLETS
        if {triplet.subject_name, triplet.object_name} <= present
        and (triplet.subject_name, triplet.predicate_name, triplet.object_name) not in true_triplets
    ]
    if not candidates:
        return None
    triplet = rng.choice(candidates)
    subject = _singular_phrase(category_by_name(triplet.subject_name), rng)
    object_ = _singular_phrase(category_by_name(triplet.object_name), rng)
    predicate_phrase = rng.choice(predicate_by_name(triplet.predicate_name).caption_phrases)
    return _clause(subject, predicate_phrase, object_, plural=False, rng=rng)


def _styled(caption: str, rng: random.Random) -> str:
    """Most captions stay lower case; some start with a capital and end with a full stop."""
    if rng.random() < 0.3:
        return f"{caption[0].upper()}{caption[1:]}."
    return caption


def _random_relation_caption(scene: DemoScene, rng: random.Random) -> str:
    return _relation_caption(scene, rng.choice(scene.relations), rng)


# Caption kind -> (writer, relative frequency).
_CAPTION_KINDS: dict[str, tuple[Callable[[DemoScene, random.Random], str], float]] = {
    "relation": (_random_relation_caption, 4.0),
    "pair": (_pair_caption, 2.0),
    "counting": (_counting_caption, 2.0),
    "non_relational": (_non_relational_caption, 1.5),
}


def write_captions(
    scene: DemoScene, rng: random.Random, *, num_captions: int = NUM_CAPTIONS
) -> list[str]:
    """``num_captions`` captions in random order, distinct where possible.

    At least one states a ground-truth relation. Deterministic given the state of ``rng``.
    """
    if num_captions < 1:
        raise ValueError(f"num_captions must be >= 1, got {num_captions}")
    captions = [_random_relation_caption(scene, rng)]
    if num_captions > 1 and rng.random() < NOISE_PROBABILITY:
        noise = _noise_caption(scene, rng)
        if noise is not None:
            captions.append(noise)
    kinds = [
        kind
        for kind in _CAPTION_KINDS
        if kind != "pair" or len(_distinct_triplet_relations(scene)) > 1
    ]
    weights = [_CAPTION_KINDS[kind][1] for kind in kinds]
    attempts = 0
    while len(captions) < num_captions:
        writer, _ = _CAPTION_KINDS[rng.choices(kinds, weights=weights)[0]]
        caption = writer(scene, rng)
        attempts += 1
        if caption not in captions or attempts > _MAX_DRAWS_FOR_DISTINCT:
            captions.append(caption)
    rng.shuffle(captions)
    return [_styled(caption, rng) for caption in captions]
