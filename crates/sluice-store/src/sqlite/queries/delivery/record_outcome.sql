-- Applies one outcome only while the delivery is still in flight under the outcome's lease
-- (?2): a claimer whose lease expired cannot overwrite a newer claimer's result. ?5 is 1
-- when a try was made; updated_at moves only then.
UPDATE delivery SET status = ?3, next_attempt_at = ?4, lease = NULL,
    attempts = attempts + ?5, round_attempts = round_attempts + ?5,
    updated_at = COALESCE(?6, updated_at)
WHERE id = ?1 AND status = {status.sending} AND lease = ?2
