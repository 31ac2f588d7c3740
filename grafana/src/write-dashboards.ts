/** `npm run dashboards`: writes grafana/dashboards/*.json from the generator. Run compiled, from dist/grafana/src/. */
import { writeFileSync } from 'node:fs';
import { dashboardJson, dashboards } from './dashboards.js';

const dir = new URL('../../../grafana/dashboards/', import.meta.url);
for (const [file, build] of Object.entries(dashboards)) {
  writeFileSync(new URL(file, dir), dashboardJson(build()));
  console.log(`wrote grafana/dashboards/${file}`);
}
