/** The building blocks both dashboards share: the data source, variables, and the two panel kinds. */
import * as common from '@grafana/grafana-foundation-sdk/common';
import {
  DashboardBuilder,
  DashboardCursorSync,
  DatasourceVariableBuilder,
  FieldColorBuilder,
  FieldColorModeId,
  QueryVariableBuilder,
  ThresholdsConfigBuilder,
  ThresholdsMode,
  VariableRefresh,
  VariableSort,
  type Dashboard,
  type Threshold,
} from '@grafana/grafana-foundation-sdk/dashboard';
import { DataqueryBuilder } from '@grafana/grafana-foundation-sdk/prometheus';
import * as stat from '@grafana/grafana-foundation-sdk/stat';
import * as timeseries from '@grafana/grafana-foundation-sdk/timeseries';

/** Grafana's custom currency unit: its built-in ¥ (currencyJPY) is the yen. */
export const yuan = 'currency:¥';

/** Every panel, target and variable queries the Prometheus the `datasource` variable names. */
const prometheus = { type: 'prometheus', uid: '${datasource}' };

/** Picks among Grafana's Prometheus data sources; by default Grafana's default one, which provisioning sets up. */
export const datasourceVariable = () =>
  new DatasourceVariableBuilder('datasource').label('Data source').type('prometheus');

/** A variable whose values are a label's values on the series `selector` selects. */
export const labelVariable = (name: string, label: string, selector: string) =>
  new QueryVariableBuilder(name)
    .label(label)
    .datasource(prometheus)
    .query({ query: `label_values(${selector}, ${name})`, refId: `${name}-variable` })
    .definition(`label_values(${selector}, ${name})`)
    .refresh(VariableRefresh.OnTimeRangeChanged)
    .sort(VariableSort.AlphabeticalAsc);

/** A multi-select variable whose "All" matches every value, as the job and instance variables must be. */
export const selectAllVariable = (name: string, label: string, selector: string, allValue = '.+') =>
  labelVariable(name, label, selector).multi(true).includeAll(true).allValue(allValue);

/** A threshold step: the first one's value is null (everything below the next step). */
export type Step = [color: string, value: number | null];

export interface PanelSpec {
  title: string;
  description: string;
  unit: string;
  /** Width (of Grafana's 24 columns) and height. */
  size: [width: number, height: number];
  /** PromQL and legend of each query, in the order Grafana labels them A, B, C... */
  queries: [expr: string, legend: string][];
  steps?: Step[];
  /** The axis minimum, 0 unless given; null for none, where a value below zero must show. */
  min?: number | null;
  decimals?: number;
}

const targets = (queries: PanelSpec['queries']) =>
  queries.map(([expr, legend], i) =>
    new DataqueryBuilder()
      .datasource(prometheus)
      .refId(String.fromCharCode(65 + i))
      .expr(expr)
      .legendFormat(legend)
      .range(),
  );

const thresholds = (steps: Step[]) =>
  new ThresholdsConfigBuilder()
    .mode(ThresholdsMode.Absolute)
    .steps(steps.map(([color, value]): Threshold => ({ color, value })));

/** What every panel builder has: the frame both panel kinds fill in the same way. */
interface FramedBuilder<B> {
  title(title: string): B;
  description(description: string): B;
  datasource(ref: typeof prometheus): B;
  span(width: number): B;
  height(height: number): B;
  unit(unit: string): B;
  colorScheme(color: FieldColorBuilder): B;
  thresholds(thresholds: ThresholdsConfigBuilder): B;
}

/** Title, description, data source, size, unit and threshold steps from the spec; colours by `color`. */
const framed = <B extends FramedBuilder<B>>(builder: B, spec: PanelSpec, color: FieldColorModeId): B =>
  builder
    .title(spec.title)
    .description(spec.description)
    .datasource(prometheus)
    .span(spec.size[0])
    .height(spec.size[1])
    .unit(spec.unit)
    .colorScheme(new FieldColorBuilder().mode(color))
    .thresholds(thresholds(spec.steps ?? [['green', null]]));

export function timeseriesPanel(spec: PanelSpec) {
  const { queries, steps = [['green', null]], min = 0, decimals } = spec;
  const panel = framed(new timeseries.PanelBuilder(), spec, FieldColorModeId.PaletteClassic)
    // Threshold lines only where there is a threshold above the base colour.
    .thresholdsStyle(
      new common.GraphThresholdsStyleConfigBuilder().mode(
        steps.length > 1 ? common.GraphThresholdsStyleMode.Line : common.GraphThresholdsStyleMode.Off,
      ),
    )
    .drawStyle(common.GraphDrawStyle.Line)
    .lineWidth(1)
    .fillOpacity(10)
    .showPoints(common.VisibilityMode.Never)
    .spanNulls(false)
    .legend(
      new common.VizLegendOptionsBuilder()
        .displayMode(common.LegendDisplayMode.List)
        .placement(common.LegendPlacement.Bottom)
        .showLegend(true),
    )
    .tooltip(
      new common.VizTooltipOptionsBuilder().mode(common.TooltipDisplayMode.Multi).sort(common.SortOrder.Descending),
    )
    .targets(targets(queries));
  if (min !== null) panel.min(min);
  if (decimals !== undefined) panel.decimals(decimals);
  return panel;
}

/** The last value of each query as a big number, coloured by the steps. */
export function statPanel(spec: Omit<PanelSpec, 'min' | 'decimals'>) {
  return framed(new stat.PanelBuilder(), spec, FieldColorModeId.Thresholds)
    .min(0)
    .reduceOptions(new common.ReduceDataOptionsBuilder().calcs(['lastNotNull']).fields('').values(false))
    .colorMode(common.BigValueColorMode.Background)
    .graphMode(common.BigValueGraphMode.Area)
    .justifyMode(common.BigValueJustifyMode.Auto)
    .textMode(common.BigValueTextMode.ValueAndName)
    .orientation(common.VizOrientation.Auto)
    .targets(targets(spec.queries));
}

export interface DashboardSpec {
  uid: string;
  title: string;
  description: string;
  variables: (DatasourceVariableBuilder | QueryVariableBuilder)[];
  /** Laid out left to right, a new row whenever the 24 columns are full. */
  panels: (timeseries.PanelBuilder | stat.PanelBuilder)[];
}

export function dashboard({ uid, title, description, variables, panels }: DashboardSpec): Dashboard {
  const builder = new DashboardBuilder(title)
    .uid(uid)
    .description(description)
    .tags(['grab'])
    .editable()
    .tooltip(DashboardCursorSync.Crosshair)
    .time({ from: 'now-30m', to: 'now' })
    .refresh('10s')
    .timezone('browser')
    .version(1)
    .variables(variables);
  for (const [i, panel] of panels.entries()) builder.withPanel(panel.id(i + 1));
  return builder.build();
}
