"""A question never adds, changes or removes a task.

The questions come from a generator of our own: question frames ("did I …?", "how much does
… cost?", "should I …?") filled with topics from many walks of life — banking, travel,
cooking, health, weather, sport, pets, cars, work — and with the very words of the user's
tasks, so that a question reading like a command ("is the car washed?", "can I delete task
2?") is in the mix. Every one runs through the real agent against a user holding those
tasks; the tasks must come out exactly as they went in, and no changing tool may succeed.
"""

from __future__ import annotations

import random
from itertools import product

from taskchat.agent import process_request

from .conftest import seed_user
from .test_intent_suite import snapshot

TASKS = [
    "Pay the credit card bill", "Book a flight to Lisbon", "Wash the car", "Feed the cat",
    "Call the bank", "Water the plants", "Renew passport", "Clean the kitchen", "Buy milk",
]
WRITES = {"add_task", "update_task", "delete_task", "complete_task", "uncomplete_task", "restore_task"}

# (verb, past, participle, -ing, object) — the objects include the tasks' own.
DOINGS = [
    ("pay", "paid", "paid", "paying", "the credit card bill"), ("book", "booked", "booked", "booking", "a flight to Lisbon"),
    ("wash", "washed", "washed", "washing", "the car"), ("feed", "fed", "fed", "feeding", "the cat"),
    ("call", "called", "called", "calling", "the bank"), ("water", "watered", "watered", "watering", "the plants"),
    ("renew", "renewed", "renewed", "renewing", "my passport"), ("clean", "cleaned", "cleaned", "cleaning", "the kitchen"),
    ("buy", "bought", "bought", "buying", "milk"), ("cancel", "cancelled", "cancelled", "cancelling", "my gym membership"),
    ("return", "returned", "returned", "returning", "the library books"), ("fix", "fixed", "fixed", "fixing", "a flat tyre"),
    ("cook", "cooked", "cooked", "cooking", "risotto"), ("train", "trained", "trained", "training", "a puppy"),
    ("invest", "invested", "invested", "investing", "in index funds"), ("delete", "deleted", "deleted", "deleting", "task 2"),
    ("complete", "completed", "completed", "completing", "task 1"), ("remove", "removed", "removed", "removing", "the milk task"),
]
THINGS = [
    "a flight to Tokyo", "the exchange rate for euros", "my credit score", "a good sourdough starter", "the weather tomorrow",
    "the Champions League final", "a new laptop", "the nearest petrol station", "my blood pressure", "the tallest mountain",
    "a cat's lifespan", "an electric car", "the speed of light", "my bank balance", "the best pizza in Naples",
    "a marathon", "the meaning of life", "my holiday allowance", "the capital of Australia", "a mortgage",
]
FRAMES_DOING = [
    "did I {past} {obj}?", "have I {part} {obj} yet?", "should I {verb} {obj}?", "is it worth {ing} {obj}?",
    "how do people usually {verb} {obj}", "who {past} {obj}?", "can I {verb} {obj} online?", "was {obj} {part}?",
    "has {obj} been {part}?", "do I still need to {verb} {obj}?", "why would anyone {verb} {obj}?",
    "what's the best way to {verb} {obj}?", "is {obj} {part} already?", "could I {verb} {obj} tomorrow?",
    "when should I {verb} {obj}?", "would it be better to {verb} {obj} today?", "are you able to {verb} {obj}?",
    "am I supposed to {verb} {obj}?", "how long does {ing} {obj} take?", "where can I {verb} {obj}?",
]
FRAMES_THING = [
    "how much does {thing} cost?", "what do you know about {thing}?", "where is {thing}?", "is {thing} expensive?",
    "can you tell me about {thing}", "what's the deal with {thing}?", "how far away is {thing}?", "who decides {thing}?",
    "could you explain {thing}?", "why is {thing} so hard to find?", "what is {thing} like these days?",
    "is there any news about {thing}?", "when will {thing} be ready?", "which is better, {thing} or nothing?",
]


def questions(seed: int = 8, count: int = 360) -> list[str]:
    """A fixed, mixed sample of generated questions (the same on every run)."""
    doing = [
        frame.format(verb=verb, past=past, part=part, ing=ing, obj=obj)
        for frame, (verb, past, part, ing, obj) in product(FRAMES_DOING, DOINGS)
    ]
    thing = [frame.format(thing=thing) for frame, thing in product(FRAMES_THING, THINGS)]
    chosen = random.Random(seed).sample(doing, count // 2) + random.Random(seed).sample(thing, count // 2)
    tails = ["please", "thanks", "just curious"]
    return chosen + [f"{question} {tails[index % 3]}" for index, question in enumerate(chosen[:40])]


def test_the_generator_covers_many_questions():
    asked = questions()
    assert len(set(asked)) >= 380
    assert all(text.split()[0].lower() in {word.split()[0] for word in FRAMES_DOING + FRAMES_THING} for text in asked)


def test_no_question_changes_a_task(agent_app):
    seeded = seed_user({"tasks": TASKS})
    before = snapshot(seeded.user.id)
    writes = []
    conversation_id = None
    for number, text in enumerate(questions()):
        # Some in one long conversation (so earlier turns' state is in play), some fresh.
        reply = process_request(seeded.user.id, text, conversation_id if number % 3 else None, now=seeded.now)
        conversation_id = reply.conversation_id
        writes += [(text, call.name) for call in reply.tool_calls if call.name in WRITES and call.status == "success"]
    assert writes == []
    assert snapshot(seeded.user.id) == before
