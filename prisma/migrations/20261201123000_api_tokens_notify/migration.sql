-- Token changes are announced on the "berth_api_tokens" channel, so every API process drops its
-- cached copy of a token at once (docs/architecture.md, "Token cache"), whichever process or
-- client made the change. Touching last_used_at alone is not announced. Payload: JSON
-- {"id": <token id>, "revoked": <true when revoked or deleted>}; a TRUNCATE sends {"all": true}.
CREATE FUNCTION "api_tokens_notify"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_LEVEL = 'STATEMENT' THEN
    PERFORM pg_notify('berth_api_tokens', '{"all":true}');
  ELSIF TG_OP = 'DELETE' THEN
    PERFORM pg_notify('berth_api_tokens', json_build_object('id', OLD.id, 'revoked', true)::text);
  ELSE
    PERFORM pg_notify('berth_api_tokens', json_build_object('id', OLD.id, 'revoked', NEW.revoked_at IS NOT NULL)::text);
  END IF;
  RETURN NULL;
END;
$$;

CREATE TRIGGER "api_tokens_notify_update" AFTER UPDATE ON "api_tokens"
  FOR EACH ROW WHEN ((to_jsonb(OLD) - 'last_used_at') IS DISTINCT FROM (to_jsonb(NEW) - 'last_used_at'))
  EXECUTE FUNCTION "api_tokens_notify"();

CREATE TRIGGER "api_tokens_notify_delete" AFTER DELETE ON "api_tokens"
  FOR EACH ROW EXECUTE FUNCTION "api_tokens_notify"();

CREATE TRIGGER "api_tokens_notify_truncate" AFTER TRUNCATE ON "api_tokens"
  FOR EACH STATEMENT EXECUTE FUNCTION "api_tokens_notify"();
