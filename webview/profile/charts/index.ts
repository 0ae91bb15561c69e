// All charts, grouped into the view's collapsible sections (in display order).
import type { ChartDef } from '../chart';
import { lengthsChart, validMaskChart } from './corpus';
import { headHeatmapChart, positionHeatmapChart } from './heatmaps';
import { autoregressionChart, distributionChart, meanChart, regressionBeta0Chart, regressionBeta1Chart, regressionFitChart } from './layers';

export interface SectionDef { id: string; title: string; charts: ChartDef[]; corpusOnly?: boolean }

export const SECTIONS: SectionDef[] = [
  { id: 'corpus', title: 'Corpus', charts: [validMaskChart, lengthsChart], corpusOnly: true },
  { id: 'magnitudes', title: 'Adjustment magnitudes', charts: [distributionChart, meanChart] },
  { id: 'position', title: 'Position', charts: [positionHeatmapChart, regressionFitChart, regressionBeta0Chart, regressionBeta1Chart] },
  { id: 'autoregression', title: 'Autoregression', charts: [autoregressionChart] },
  { id: 'heads', title: 'Heads', charts: [headHeatmapChart] },
];
