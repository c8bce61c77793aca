export interface Estimate {
  estimate: number;
  low: number;
  high: number;
}
export interface TimelinePoint {
  at: string;
  darkDifference: Estimate | null;
  darkMargin: number;
  fallbackShare: Estimate | null;
  fallbackCeiling: number;
}
export interface Gap {
  from: string;
  to: string;
  hours: number;
}
