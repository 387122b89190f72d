import type { MigrationInterface, QueryRunner } from 'typeorm';

// A migration is a frozen snapshot: the status edges and value lists are written out here, not
// imported from the core, and a test compares them with the core's tables so drift is caught.
// Every trigger raises SQLSTATE 23000 (integrity_constraint_violation); the adapter maps class 23.

const TYPES = `
CREATE DOMAIN entity_id AS text CHECK (VALUE ~ '^[A-Za-z0-9][A-Za-z0-9._:@|-]{0,127}$');
CREATE DOMAIN sha256_hex AS char(64) CHECK (VALUE ~ '^[0-9a-f]{64}$');
CREATE DOMAIN image_type AS text CHECK (VALUE IN ('image/jpeg', 'image/png', 'image/webp'));
`;

const UPLOADS = `
CREATE TABLE uploads (
  id entity_id PRIMARY KEY,
  owner_id entity_id NOT NULL,
  status text NOT NULL CONSTRAINT uploads_status_check CHECK (status IN ('stored', 'deleted')),
  content_type image_type NOT NULL,
  byte_size bigint NOT NULL CONSTRAINT uploads_byte_size_check CHECK (byte_size > 0),
  sha256 sha256_hex NOT NULL,
  width integer NOT NULL CONSTRAINT uploads_width_check CHECK (width > 0),
  height integer NOT NULL CONSTRAINT uploads_height_check CHECK (height > 0),
  created_at timestamptz NOT NULL,
  deleted_at timestamptz,
  revision integer NOT NULL CONSTRAINT uploads_revision_check CHECK (revision >= 0),
  CONSTRAINT uploads_deleted_at_check CHECK ((status = 'deleted') = (deleted_at IS NOT NULL)),
  -- I1: training-set items reference uploads through (owner_id, id).
  CONSTRAINT uploads_owner_id_id_key UNIQUE (owner_id, id)
);
-- One stored upload per owner and content: re-uploading identical bytes finds the existing one.
CREATE UNIQUE INDEX uploads_one_stored_per_owner_sha256 ON uploads (owner_id, sha256) WHERE status = 'stored';

CREATE FUNCTION uploads_guard_update() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
  IF NEW.id <> OLD.id OR NEW.owner_id <> OLD.owner_id OR NEW.sha256 <> OLD.sha256
     OR NEW.byte_size <> OLD.byte_size OR NEW.content_type <> OLD.content_type THEN
    RAISE EXCEPTION 'upload %: owner and content of an upload never change', OLD.id USING ERRCODE = '23000';
  END IF;
  IF OLD.status = 'deleted' AND NEW.status <> 'deleted' THEN
    RAISE EXCEPTION 'upload %: a deleted upload stays deleted', OLD.id USING ERRCODE = '23000';
  END IF;
  IF NEW.revision <> OLD.revision + 1 THEN
    RAISE EXCEPTION 'upload %: an update must advance the revision by one', OLD.id USING ERRCODE = '23000';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER uploads_guard_update BEFORE UPDATE ON uploads FOR EACH ROW EXECUTE FUNCTION uploads_guard_update();
`;

const PIPELINES = `
-- I7: the only edges a pipeline status may move along (ALLOWED_TRANSITIONS in the core).
CREATE TABLE pipeline_transitions (
  from_status text NOT NULL,
  to_status text NOT NULL,
  PRIMARY KEY (from_status, to_status)
);
INSERT INTO pipeline_transitions (from_status, to_status) VALUES
  ('queued', 'verifying_uploads'), ('queued', 'failed'), ('queued', 'canceled'),
  ('verifying_uploads', 'packaging'), ('verifying_uploads', 'failed'), ('verifying_uploads', 'canceled'),
  ('packaging', 'verifying_package'), ('packaging', 'failed'), ('packaging', 'canceled'),
  ('verifying_package', 'submitting'), ('verifying_package', 'failed'), ('verifying_package', 'canceled'),
  ('submitting', 'training'), ('submitting', 'failed'), ('submitting', 'canceled'),
  ('training', 'succeeded'), ('training', 'failed'), ('training', 'canceled');

CREATE TABLE pipelines (
  id entity_id PRIMARY KEY,
  owner_id entity_id NOT NULL,
  status text NOT NULL CONSTRAINT pipelines_status_check CHECK (status IN (
    'queued', 'verifying_uploads', 'packaging', 'verifying_package', 'submitting', 'training',
    'succeeded', 'failed', 'canceled')),
  revision integer NOT NULL CONSTRAINT pipelines_revision_check CHECK (revision >= 0),
  -- The training set's size, fixed at creation; its items live in pipeline_items.
  item_count integer NOT NULL CONSTRAINT pipelines_item_count_check CHECK (item_count > 0),
  destination_owner text NOT NULL CONSTRAINT pipelines_destination_owner_check CHECK (destination_owner <> ''),
  destination_name text NOT NULL CONSTRAINT pipelines_destination_name_check CHECK (destination_name <> ''),
  trigger_word text NOT NULL,
  idempotency_key text,
  restart_of entity_id,
  trainer_training_id text CONSTRAINT pipelines_trainer_training_id_check CHECK (trainer_training_id <> ''),
  -- The rest of the aggregate: steps, retry, upload evidence, package facts, failure, model.
  state jsonb NOT NULL CONSTRAINT pipelines_state_check CHECK (jsonb_typeof(state) = 'object'),
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  CONSTRAINT pipelines_trainer_training_id_key UNIQUE (trainer_training_id),
  CONSTRAINT pipelines_owner_id_id_key UNIQUE (owner_id, id),
  CONSTRAINT pipelines_id_owner_id_status_key UNIQUE (id, owner_id, status),
  CONSTRAINT pipelines_id_item_count_key UNIQUE (id, item_count),
  CONSTRAINT pipelines_owner_id_idempotency_key_key UNIQUE (owner_id, idempotency_key),
  -- A restart restarts one of the same owner's pipelines.
  CONSTRAINT pipelines_restart_of_fkey FOREIGN KEY (owner_id, restart_of) REFERENCES pipelines (owner_id, id),
  CONSTRAINT pipelines_trainer_training_id_required CHECK (
    status NOT IN ('training', 'succeeded') OR trainer_training_id IS NOT NULL)
);
-- I8: at most one non-terminal pipeline per owner.
CREATE UNIQUE INDEX pipelines_one_active_per_owner ON pipelines (owner_id)
  WHERE status NOT IN ('succeeded', 'failed', 'canceled');
CREATE INDEX pipelines_owner_id_created_at ON pipelines (owner_id, created_at);

CREATE FUNCTION pipelines_guard_update() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
  IF NEW.id <> OLD.id OR NEW.owner_id <> OLD.owner_id OR NEW.item_count <> OLD.item_count
     OR NEW.destination_owner <> OLD.destination_owner OR NEW.destination_name <> OLD.destination_name THEN
    RAISE EXCEPTION 'pipeline %: owner, training set and destination never change', OLD.id USING ERRCODE = '23000';
  END IF;
  IF NEW.status <> OLD.status AND NOT EXISTS (
    SELECT 1 FROM pipeline_transitions WHERE from_status = OLD.status AND to_status = NEW.status) THEN
    RAISE EXCEPTION 'pipeline %: no edge % -> %', OLD.id, OLD.status, NEW.status USING ERRCODE = '23000';
  END IF;
  IF NEW.revision <> OLD.revision + 1 THEN
    RAISE EXCEPTION 'pipeline %: an update must advance the revision by one', OLD.id USING ERRCODE = '23000';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER pipelines_guard_update BEFORE UPDATE ON pipelines FOR EACH ROW EXECUTE FUNCTION pipelines_guard_update();

CREATE TABLE pipeline_items (
  pipeline_id entity_id NOT NULL,
  owner_id entity_id NOT NULL,
  upload_id entity_id NOT NULL,
  position integer NOT NULL CONSTRAINT pipeline_items_position_check CHECK (position >= 0),
  item_count integer NOT NULL,
  sha256 sha256_hex NOT NULL,
  byte_size bigint NOT NULL CONSTRAINT pipeline_items_byte_size_check CHECK (byte_size > 0),
  content_type image_type NOT NULL,
  PRIMARY KEY (pipeline_id, upload_id),
  CONSTRAINT pipeline_items_pipeline_id_position_key UNIQUE (pipeline_id, position),
  -- With unique positions below item_count, no item can be added once the set is complete.
  CONSTRAINT pipeline_items_position_in_set CHECK (position < item_count),
  -- I1: the photo is an upload of the pipeline's owner.
  CONSTRAINT pipeline_items_upload_fkey FOREIGN KEY (owner_id, upload_id) REFERENCES uploads (owner_id, id),
  CONSTRAINT pipeline_items_pipeline_fkey FOREIGN KEY (owner_id, pipeline_id) REFERENCES pipelines (owner_id, id),
  CONSTRAINT pipeline_items_item_count_fkey FOREIGN KEY (pipeline_id, item_count) REFERENCES pipelines (id, item_count)
);
CREATE INDEX pipeline_items_owner_id_upload_id ON pipeline_items (owner_id, upload_id);

CREATE FUNCTION pipeline_items_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'pipeline %: a training set never changes', OLD.pipeline_id USING ERRCODE = '23000';
END $$;
CREATE TRIGGER pipeline_items_refuse_change BEFORE UPDATE OR DELETE ON pipeline_items
  FOR EACH ROW EXECUTE FUNCTION pipeline_items_refuse_change();

-- A pipeline is committed only with its whole, non-empty training set.
CREATE FUNCTION pipelines_check_training_set() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
  IF (SELECT count(*) FROM pipeline_items WHERE pipeline_id = NEW.id) <> NEW.item_count THEN
    RAISE EXCEPTION 'pipeline %: training set does not hold its % items', NEW.id, NEW.item_count USING ERRCODE = '23000';
  END IF;
  RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER pipelines_check_training_set AFTER INSERT ON pipelines
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION pipelines_check_training_set();
`;

const MODELS = `
CREATE TABLE models (
  id entity_id PRIMARY KEY,
  owner_id entity_id NOT NULL,
  pipeline_id entity_id NOT NULL,
  pipeline_status text NOT NULL DEFAULT 'succeeded' CONSTRAINT models_pipeline_status_check CHECK (pipeline_status = 'succeeded'),
  destination_owner text NOT NULL,
  destination_name text NOT NULL,
  version text NOT NULL,
  status text NOT NULL CONSTRAINT models_status_check CHECK (status IN ('active', 'quarantined')),
  quarantine_reason text,
  training_set jsonb NOT NULL CONSTRAINT models_training_set_check CHECK (
    CASE WHEN jsonb_typeof(training_set) = 'array' THEN jsonb_array_length(training_set) > 0 ELSE false END),
  created_at timestamptz NOT NULL,
  revision integer NOT NULL CONSTRAINT models_revision_check CHECK (revision >= 0),
  CONSTRAINT models_pipeline_id_key UNIQUE (pipeline_id),
  CONSTRAINT models_quarantine_reason_check CHECK ((status = 'quarantined') = (quarantine_reason IS NOT NULL)),
  -- I5: the version was written to the model's destination.
  CONSTRAINT models_version_at_destination CHECK (
    starts_with(version, destination_owner || '/' || destination_name || ':')
    AND length(version) > length(destination_owner || '/' || destination_name || ':')),
  -- I6: a model references a succeeded pipeline of the same owner.
  CONSTRAINT models_pipeline_fkey FOREIGN KEY (pipeline_id, owner_id, pipeline_status)
    REFERENCES pipelines (id, owner_id, status)
);
CREATE INDEX models_owner_id_created_at ON models (owner_id, created_at);

CREATE FUNCTION models_guard_update() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
  IF NEW.id <> OLD.id OR NEW.owner_id <> OLD.owner_id OR NEW.pipeline_id <> OLD.pipeline_id
     OR NEW.version <> OLD.version OR NEW.destination_owner <> OLD.destination_owner
     OR NEW.destination_name <> OLD.destination_name OR NEW.training_set <> OLD.training_set THEN
    RAISE EXCEPTION 'model %: a model keeps its owner, pipeline, version and training set', OLD.id USING ERRCODE = '23000';
  END IF;
  IF NEW.revision <> OLD.revision + 1 THEN
    RAISE EXCEPTION 'model %: an update must advance the revision by one', OLD.id USING ERRCODE = '23000';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER models_guard_update BEFORE UPDATE ON models FOR EACH ROW EXECUTE FUNCTION models_guard_update();

-- I6, I5: the model repeats its pipeline's training set, destination, version and model id.
CREATE FUNCTION models_check_provenance() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
DECLARE
  pipeline pipelines%ROWTYPE;
  items jsonb;
BEGIN
  SELECT * INTO pipeline FROM pipelines WHERE id = NEW.pipeline_id;
  SELECT jsonb_agg(jsonb_build_object('uploadId', upload_id, 'sha256', sha256) ORDER BY position) INTO items
    FROM pipeline_items WHERE pipeline_id = NEW.pipeline_id;
  IF items IS NULL OR NEW.training_set <> items THEN
    RAISE EXCEPTION 'model %: training set differs from pipeline %', NEW.id, NEW.pipeline_id USING ERRCODE = '23000';
  END IF;
  IF pipeline.destination_owner <> NEW.destination_owner OR pipeline.destination_name <> NEW.destination_name
     OR pipeline.state->>'modelVersion' IS DISTINCT FROM NEW.version
     OR pipeline.state->>'modelId' IS DISTINCT FROM NEW.id THEN
    RAISE EXCEPTION 'model %: not the model pipeline % produced', NEW.id, NEW.pipeline_id USING ERRCODE = '23000';
  END IF;
  RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER models_check_provenance AFTER INSERT OR UPDATE ON models
  FOR EACH ROW EXECUTE FUNCTION models_check_provenance();
`;

const WEBHOOK_DELIVERIES = `
CREATE TABLE webhook_deliveries (
  id text PRIMARY KEY,
  received_at timestamptz NOT NULL
);
`;

export class InitialSchema1714550400000 implements MigrationInterface {
  readonly name = 'InitialSchema1714550400000';

  async up(queryRunner: QueryRunner): Promise<void> {
    for (const part of [TYPES, UPLOADS, PIPELINES, MODELS, WEBHOOK_DELIVERIES]) await queryRunner.query(part);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      DROP TABLE webhook_deliveries;
      DROP TABLE models;
      DROP FUNCTION models_check_provenance, models_guard_update;
      DROP TABLE pipeline_items;
      DROP TABLE pipelines;
      DROP TABLE pipeline_transitions;
      DROP FUNCTION pipeline_items_refuse_change, pipelines_check_training_set, pipelines_guard_update;
      DROP TABLE uploads;
      DROP FUNCTION uploads_guard_update;
      DROP DOMAIN image_type, sha256_hex, entity_id;
    `);
  }
}
