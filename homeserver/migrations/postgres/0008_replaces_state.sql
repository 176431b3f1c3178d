-- The state event a state event replaced (its previous value), for `unsigned.replaces_state`
-- and `prev_content`. NULL for events stored before this column existed.
ALTER TABLE events ADD COLUMN replaces_state TEXT;
