-- A user's session epoch: a browser session remembers the epoch it was
-- started in and ends when the user's epoch has moved on. A new password
-- moves it, whichever path sets the password (page, CLI, API), so the
-- trigger is the one place that rule lives.
ALTER TABLE users ADD COLUMN session_epoch INTEGER NOT NULL DEFAULT 0;

CREATE TRIGGER users_password_ends_sessions AFTER UPDATE OF password_hash ON users
WHEN NEW.password_hash IS NOT OLD.password_hash
BEGIN
    UPDATE users SET session_epoch = session_epoch + 1 WHERE id = NEW.id;
END;
