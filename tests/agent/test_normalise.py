"""The normalisation stage on its own: what phone-style typing becomes before it is parsed."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from taskchat.agent.normalise import is_word, normalise, times_in_digits


@pytest.mark.parametrize(
    ("typed", "read"),
    [
        ("ive sent it", "i've sent it"),
        ("its not done", "it's not done"),
        ("cant make it today", "can't make it today"),
        ("dont tick that", "don't tick that"),
        ("whats on tmrw", "what's on tomorrow"),
        ("can u add milk pls", "can you add milk please"),
        ("remind me 2 call mum tonite", "remind me to call mum tonight"),
        ("add bread n eggs", "add bread and eggs"),
        ("done w the dentist", "done with the dentist"),
        ("move it to fri", "move it to friday"),
        ("add dentist appt", "add dentist appointment"),
        ("heyyy", "hey"),
        ("noo", "no"),
    ],
)
def test_chat_spelling_is_written_out(typed, read):
    assert normalise(typed).text == read


def test_a_possessive_its_stays():
    assert normalise("change its due date").text == "change its due date"


def test_task_two_stays_a_number():
    assert normalise("delete task 2").text == "delete task 2"
    assert normalise("add 2 loaves").text == "add 2 loaves"


@pytest.mark.parametrize(
    ("typed", "read"),
    [
        ("delte task 1", "delete task 1"),
        ("shwo my tasks", "show my tasks"),
        ("set it for tomorow", "set it for tomorrow"),
        ("add pick up parcel tommorow", "add pick up parcel tomorrow"),
        ("cmplete task 2", "complete task 2"),
        ("reopn task 2", "reopen task 2"),
        ("whats due thsi week", "what's due this week"),
        ("mark taks 2 done", "mark task 2 done"),
        ("mark tsk 1 done", "mark task 1 done"),
    ],
)
def test_typos_are_corrected_against_the_vocabulary(typed, read):
    assert normalise(typed).text == read


@pytest.mark.parametrize(
    "typed",
    ["add shower curtain", "add marks birthday card", "add update the README", "add write the iPhone review", "add list of guests"],
)
def test_a_real_word_close_to_a_command_stays_itself(typed):
    assert normalise(typed).text == typed


def test_a_title_word_is_never_corrected_into_a_command():
    # "readme" is no English word and two edits from "rename", but it follows "add"
    assert normalise("add update the readme file").text == "add update the readme file"


def test_quoted_text_is_never_rewritten():
    typed = "add 'delte old photos' tmrw"
    assert normalise(typed).text == "add 'delte old photos' tomorrow"
    assert normalise('rename task 1 to "whats u doin"').text == 'rename task 1 to "whats u doin"'


def test_a_real_word_in_the_command_position_is_corrected_only_in_the_forced_reading():
    found = normalise("ad walk the dog")
    assert found.text == "ad walk the dog"
    assert found.forced == "add walk the dog"
    assert normalise("creat a task to clean the fridge").forced == "create a task to clean the fridge"


def test_everyday_words_are_never_forced_into_a_command():
    assert normalise("and bread").forced == "and bread"
    assert normalise("sit down").forced == "sit down"


def test_the_users_task_words_are_targets_and_are_read_only_when_needed():
    calls = []

    def own():
        calls.append(1)
        return ["dentist", "gym"]

    assert normalise("mark the dentst one done", own).text == "mark the dentist one done"
    assert calls == [1]
    calls.clear()
    assert normalise("add buy milk tomorrow", own).text == "add buy milk tomorrow"
    assert calls == []  # every word known: no task was read
    assert normalise("mark the dentst one done").text == "mark the dentst one done"


@pytest.mark.parametrize(
    ("typed", "read"),
    [
        ("👍", "ok"),
        ("✅", "done"),
        ("👎", "no"),
        ("🙏", "thanks"),
        ("dishes done ✅", "dishes done"),
        ("task 2 ✅", "task 2 done"),
        ("🛒 add oat milk", "add oat milk"),
        ("gotta get milk 🥛", "gotta get milk"),
        ("add 🎂 order the cake", "add 🎂 order the cake"),
        ("😂", ""),
    ],
)
def test_emoji(typed, read):
    assert normalise(typed).text == read


def test_filler_goes_when_something_else_is_said():
    assert normalise("lol").text == "lol"
    assert normalise("haha ok").text == "ok"
    assert normalise("the car is washed lol").text == "the car is washed"


@pytest.mark.parametrize(
    ("typed", "read"),
    [
        ("at eleven tonight", "at 11 tonight"),
        ("at half past seven pm", "at 7:30 pm"),
        ("at quarter to nine", "at 8:45"),
        ("at quarter past three", "at 3:15pm"),
        ("at six in the morning", "at 6am"),
        ("at ten at night", "at 10pm"),
        ("at three oclock", "at 3"),
        ("on the 1st of every month", "on the 1st every month"),
        ("buy ten eggs", "buy ten eggs"),
        ("read for ten minutes", "read for ten minutes"),
    ],
)
def test_times_in_words(typed, read):
    assert times_in_digits(typed) == read


def test_the_dictionary_knows_words_and_forms():
    assert is_word("shower") and is_word("parcels") and not is_word("delte")


# Single spaces: runs of spaces are collapsed everywhere, quotes included, before a parse.
_PLAIN = st.text(alphabet=st.sampled_from("abcdefghijklmnopqrstuvwxyz "), min_size=1, max_size=30).map(lambda s: " ".join(s.split())).filter(bool)


@settings(max_examples=200, deadline=None)
@given(before=_PLAIN, inside=_PLAIN, after=_PLAIN)
def test_quoted_text_survives_whatever_surrounds_it(before, inside, after):
    text = f'{before} "{inside}" {after}'
    assert f'"{inside}"' in normalise(text).text


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_any_text_normalises(text):
    found = normalise(text)
    assert isinstance(found.text, str) and isinstance(found.forced, str)
