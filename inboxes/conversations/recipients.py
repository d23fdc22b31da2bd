"""Who receives each conversation event: the groups, decided in one place and tested.

- the visitor: `contact.<id>` (every socket of that contact);
- supervisors and admins: `staff` (they see every conversation);
- operators: the assignee's `user.<id>`, or `pool` (all operators) while unassigned.
"""

from __future__ import annotations

from messenger.realtime import CONTACT_GROUP, POOL_GROUP, STAFF_GROUP, USER_GROUP, group


def contact_group(contact_id: int, *, schema_name: str | None = None) -> str:
    return group(CONTACT_GROUP, contact_id, schema_name=schema_name)


def user_group(user_id: int, *, schema_name: str | None = None) -> str:
    return group(USER_GROUP, user_id, schema_name=schema_name)


def staff_group(*, schema_name: str | None = None) -> str:
    return group(STAFF_GROUP, schema_name=schema_name)


def pool_group(*, schema_name: str | None = None) -> str:
    return group(POOL_GROUP, schema_name=schema_name)


_UNCHANGED: object = object()


def operator_groups(
    *, assignee_id: int | None, previous_assignee_id: int | object | None = _UNCHANGED
) -> list[str]:
    """Operators who see the conversation now and, on a reassignment, those who saw it before
    (so their lists drop it). An unassigned conversation is seen by the pool."""
    audiences = [assignee_id]
    if previous_assignee_id is not _UNCHANGED:
        audiences.append(previous_assignee_id)  # type: ignore[arg-type]
    groups = [staff_group()]
    groups += [pool_group() if a is None else user_group(a) for a in audiences]
    return list(dict.fromkeys(groups))


def everyone_groups(*, contact_id: int, assignee_id: int | None) -> list[str]:
    return [contact_group(contact_id), *operator_groups(assignee_id=assignee_id)]
