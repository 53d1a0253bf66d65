-- The start of a list query with a tag ($1 app_id; the `mt.tag = $n` term is appended):
-- walks that tag's rows instead of every message.
SELECT {cols.message} FROM message_tag mt JOIN message m ON m.id = mt.msg_id
WHERE mt.app_id = $1
