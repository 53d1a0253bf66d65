-- $1 id. The last step of deleting an application; its rows were deleted before (apps.rs).
DELETE FROM application WHERE id = $1
