import type { ApiClient } from '../api/api-client.js';
import { visibleModels, type Model } from '../api/schemas.js';
import { Thumbnail } from './thumbnail.js';

/** `owner/name:<version id>` as the trainer writes it: the id alone names the model to a person. */
function versionId(version: string): string {
  return version.slice(version.lastIndexOf(':') + 1);
}

/** Each model with its provenance: the photos it was trained on. Quarantined models are never shown. */
export function ModelList({ client, models }: { client: ApiClient; models: readonly Model[] }) {
  const shown = visibleModels(models);
  return (
    <section class="card" aria-labelledby="models-title">
      <h2 id="models-title">Your models</h2>
      {shown.length === 0 ? (
        <p class="hint">No model yet. A finished training adds one here.</p>
      ) : (
        <ul class="models">
          {shown.map((model) => (
            <li key={model.id} class="model">
              <h3>Model {versionId(model.version).slice(0, 12)}</h3>
              <p class="small-text">
                Stored as <code>{model.destination}</code>, version <code class="break">{model.version}</code>
              </p>
              <p>Trained on these {model.trainingSet.length} photos, and nothing else:</p>
              <ul class="grid small">
                {model.trainingSet.map((item, index) => (
                  <li key={item.uploadId} class="grid-item">
                    <Thumbnail client={client} id={item.uploadId} alt={`Training photo ${index + 1} of this model`} />
                  </li>
                ))}
              </ul>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
