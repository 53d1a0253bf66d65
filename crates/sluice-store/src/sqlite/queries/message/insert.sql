INSERT INTO message (id, app_id, event_type, event_id, channels, payload, created_at,
    content_type, headers, tags, deliver_at, payload_expires_at, trace_context)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)
