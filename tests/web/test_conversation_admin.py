"""Finding and tidying conversations: search (API and page), rename, keyset paging of the side
list, deleting several at once (with a confirmation page without JavaScript)."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from taskchat.extensions import db
from taskchat.models import Conversation, Message
from tests.helpers.pages import conversation_id_from

HTMX = {"HX-Request": "true"}


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def test_api_search_finds_titles_and_messages_of_the_user_only(client, auth, chat):
    alice, bob = auth.register(), auth.register()
    first = chat(alice, "add buy oat milk")["conversation_id"]
    second = chat(alice, "add call the plumber")["conversation_id"]
    chat(alice, "show tasks tagged zanzibar", second)  # the word is only in a later message
    chat(bob, "add buy oat milk")

    def found(account, q):
        response = client.get("/api/v1/conversations", query_string={"q": q}, headers=account.headers)
        assert response.status_code == 200, response.get_json()
        return [c["id"] for c in response.get_json()["conversations"]]

    assert found(alice, "OAT MILK") == [first]  # the title, case-insensitive
    assert found(alice, "Zanzibar") == [second]  # a message, not the title
    assert found(alice, "Plumber") == [second]  # also in the assistant's reply
    assert found(alice, "100%") == []  # % is a character, not a wildcard
    assert found(alice, "nothing like this") == []
    assert len(found(bob, "milk")) == 1 and found(bob, "plumber") == []
    assert client.get("/api/v1/conversations", query_string={"q": "x" * 201}, headers=alice.headers).status_code == 422


def test_api_rename_changes_the_title_and_only_the_owners(client, auth, chat):
    alice, bob = auth.register(), auth.register()
    cid = chat(alice, "add buy milk")["conversation_id"]
    renamed = client.patch(f"/api/v1/conversations/{cid}", json={"title": "  Groceries   run "}, headers=alice.headers)
    assert renamed.status_code == 200
    assert renamed.get_json()["title"] == "Groceries run"
    assert client.get(f"/api/v1/conversations/{cid}", headers=alice.headers).get_json()["title"] == "Groceries run"
    assert client.patch(f"/api/v1/conversations/{cid}", json={"title": "Mine"}, headers=bob.headers).status_code == 404
    bad = client.patch(f"/api/v1/conversations/{cid}", json={"title": ""}, headers=alice.headers)
    assert bad.status_code == 422 and bad.get_json()["error"]["code"] == "invalid_fields"
    assert client.patch(f"/api/v1/conversations/{cid}", json={"title": "x" * 256}, headers=alice.headers).status_code == 422
    assert client.get(f"/api/v1/conversations/{cid}", headers=alice.headers).get_json()["title"] == "Groceries run"


def test_page_search_rename_and_paging_without_javascript(page_user, app):
    user = page_user("side-admin@example.com")
    ids = [conversation_id_from(user.send(f"chat number {n}").location) for n in range(53)]
    html = user.client.get("/").get_data(as_text=True)
    # The newest 50, then a link to the next keyset page.
    assert html.count('class="pick"') == 50
    more = re.search(r'href="(/\?cursor=[^"#]+)#conversations"', html)
    assert more, "no link to older conversations"
    older = user.client.get(more.group(1).replace("&amp;", "&")).get_data(as_text=True)
    assert older.count('class="pick"') == 3
    assert "chat number 0" in older and "chat number 52" not in older.split('id="conversation-list"')[1].split("</ul>")[0]

    found = user.client.get("/?q=number+7").get_data(as_text=True)
    listed = found.split('id="conversation-list"')[1].split("</ul>")[0]
    assert "chat number 7" in listed and "chat number 8" not in listed
    assert 'value="number 7"' in found  # the search box keeps the words
    assert "No conversation matches." in user.client.get("/?q=zebra").get_data(as_text=True)

    # htmx: only the list items.
    fragment = user.client.get("/conversations/list?q=number+7", headers=HTMX).get_data(as_text=True)
    assert "<html" not in fragment and "chat number 7" in fragment

    cid = ids[3]
    renamed = user.client.post(f"/c/{cid}/rename", data={"csrf_token": user.token(), "title": "Holiday plans"})
    assert renamed.status_code == 303 and renamed.location == f"/c/{cid}"
    page = user.client.get(f"/c/{cid}").get_data(as_text=True)
    assert 'id="conversation-title" class="conversation-title">Holiday plans</h1>' in page
    refused = user.client.post(f"/c/{cid}/rename", data={"csrf_token": user.token(), "title": "   "})
    assert refused.status_code == 303
    assert "A conversation needs a title." in user.client.get(f"/c/{cid}").get_data(as_text=True)


def test_page_deletes_several_after_a_confirmation_page(page_user, app):
    alice = page_user("bulk-alice@example.com")
    bob = page_user("bulk-bob@example.com")
    ids = [conversation_id_from(alice.send(f"talk {n}").location) for n in range(3)]
    theirs = conversation_id_from(bob.send("bob's talk").location)

    asked = alice.client.post("/conversations/delete", data={"csrf_token": alice.token(), "ids": ids[:2]})
    assert asked.status_code == 200
    html = asked.get_data(as_text=True)
    assert "Delete 2 conversations?" in html and "talk 0" in html and "talk 1" in html and "talk 2" not in html
    assert count(app, Conversation) == 4

    # Someone else's id among them: nothing is deleted.
    mixed = alice.client.post(
        "/conversations/delete", data={"csrf_token": alice.token(), "ids": [ids[0], theirs], "confirmed": "1"}
    )
    assert mixed.status_code == 404
    assert count(app, Conversation) == 4

    done = alice.client.post(
        "/conversations/delete", data={"csrf_token": alice.token(), "ids": ids[:2], "confirmed": "1"}
    )
    assert done.status_code == 303
    assert "Deleted 2 conversations." in alice.client.get("/").get_data(as_text=True)
    assert count(app, Conversation) == 2
    assert count(app, Message) == 4

    # htmx (the browser asked with hx-confirm): the new list in place.
    fragment = alice.client.post(
        "/conversations/delete", data={"csrf_token": alice.token(), "ids": [ids[2]]}, headers=HTMX
    )
    assert fragment.status_code == 200 and "No conversations yet." in fragment.get_data(as_text=True)
    assert count(app, Conversation) == 1
    nothing = alice.client.post("/conversations/delete", data={"csrf_token": alice.token()})
    assert nothing.status_code == 303
