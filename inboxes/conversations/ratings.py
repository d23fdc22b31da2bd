"""The visitor's rating of a closed conversation: once, on the inbox's scale; emits
`rating.given` (messenger.kernel.events)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from inboxes.conversations import events
from inboxes.conversations.announce import conversation_announce
from inboxes.models import Conversation, Inbox
from messenger.kernel import events as domain

SCALES = {Inbox.RatingScale.STARS: (1, 5), Inbox.RatingScale.NPS: (0, 10)}


@transaction.atomic
def conversation_rate(
    *, conversation: Conversation, score: object, comment: str = ""
) -> Conversation:
    locked = (
        Conversation.objects.select_for_update(of=("self",))
        .select_related("inbox", "contact", "assignee")
        .get(pk=conversation.pk)
    )
    if locked.status != Conversation.Status.CLOSED:
        raise ValidationError({"score": [_("You can rate the conversation once it is closed.")]})
    if locked.rating_score is not None:
        raise ValidationError({"score": [_("This conversation is already rated.")]})
    low, high = SCALES[Inbox.RatingScale(locked.inbox.rating_scale)]
    if not isinstance(score, int) or isinstance(score, bool) or not low <= score <= high:
        raise ValidationError(
            {"score": [_("Choose a score from %(low)d to %(high)d.") % {"low": low, "high": high}]}
        )
    comment = (comment or "").strip()
    if len(comment) > 1000:
        raise ValidationError({"comment": [_("The comment is too long.")]})
    locked.rating_scale, locked.rating_score = locked.inbox.rating_scale, score
    locked.rating_comment, locked.rated_at = comment, timezone.now()
    locked.save(update_fields=["rating_scale", "rating_score", "rating_comment", "rated_at"])
    conversation_announce(events.CONVERSATION_UPDATED, locked, visitor=False)
    domain.emit(
        domain.RATING_GIVEN,
        conversation_id=locked.pk,
        score=score,
        scale=locked.rating_scale,
        assignee_id=locked.assignee_id,
    )
    return locked
