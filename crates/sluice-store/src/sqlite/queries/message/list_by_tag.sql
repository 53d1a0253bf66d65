-- The start of a list query with a tag (whose `mt.tag = ?` term is appended): walks that
-- tag's rows, newest message first, instead of every message.
SELECT {cols.message} FROM message_tag mt JOIN message m ON m.id = mt.msg_id
WHERE mt.app_id = ?
