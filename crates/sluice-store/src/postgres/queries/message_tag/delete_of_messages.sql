-- $1 app ids, $2 tags, $3 message ids (one row per tag row). Pruning: the tag rows of the
-- messages that went, each by its whole key.
DELETE FROM message_tag
WHERE (app_id, tag, msg_id) IN (SELECT * FROM unnest($1::text[], $2::text[], $3::text[]))
