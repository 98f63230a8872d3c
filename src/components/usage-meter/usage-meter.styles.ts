// Styles of <usage-meter>: labelled bars with warning and over-limit colours, and a compact variant.
import { css } from 'lit';
import { hostTokens } from '../../styles/shared.js';

export const usageMeterStyles = [
  hostTokens,
  css`
    [part~='base'] {
      display: grid;
      gap: 0.9rem;
      padding: 1rem;
      border: 1px solid var(--_border);
      border-radius: var(--_radius);
      background: var(--_surface);
      min-block-size: 12rem;
    }
    :host([compact]) [part~='base'] {
      gap: 0.5rem;
      padding: 0.6rem;
      min-block-size: 0;
      font-size: 0.9em;
    }
    header {
      display: flex;
      flex-wrap: wrap;
      gap: 0.25rem 0.75rem;
      align-items: baseline;
      justify-content: space-between;
    }
    [part~='plan-name'] {
      font-weight: 700;
      font-size: 1.1em;
    }
    [part~='plan-status'] {
      font-size: 0.85em;
      padding: 0.1rem 0.5rem;
      border-radius: 999px;
      border: 1px solid currentColor;
    }
    [part~='plan-status'][data-status='past_due'],
    [part~='plan-status'][data-status='unpaid'] {
      color: var(--_danger);
    }
    .period,
    .notice {
      color: var(--_muted);
      margin: 0;
    }
    .notice {
      color: var(--_warn);
    }
    .metric {
      display: grid;
      gap: 0.3rem;
    }
    .metric-head {
      display: flex;
      justify-content: space-between;
      gap: 0.5rem;
      flex-wrap: wrap;
    }
    .value {
      font-variant-numeric: tabular-nums;
      color: var(--_muted);
    }
    [part~='meter'] {
      block-size: 0.6rem;
      border-radius: 999px;
      background: var(--_track);
      overflow: hidden;
    }
    :host([compact]) [part~='meter'] {
      block-size: 0.4rem;
    }
    [part~='meter-fill'] {
      block-size: 100%;
      background: var(--_accent);
      border-radius: inherit;
      transition: inline-size 0.3s ease;
    }
    .warning [part~='meter-fill'] {
      background: var(--_warn);
    }
    .over [part~='meter-fill'] {
      background: var(--_danger);
    }
    .level {
      font-size: 0.85em;
      font-weight: 600;
    }
    .warning .level {
      color: var(--_warn);
    }
    .over .level {
      color: var(--_danger);
    }
    .actions {
      display: flex;
      flex-wrap: wrap;
      gap: 0.5rem;
    }
    :host([compact]) .period,
    :host([compact]) .actions {
      display: none;
    }
    .placeholder {
      block-size: 2.6rem;
    }
    @media (prefers-reduced-motion: reduce) {
      [part~='meter-fill'] {
        transition: none;
      }
    }
    @media (forced-colors: active) {
      [part~='meter'] {
        border: 1px solid CanvasText;
        forced-color-adjust: none;
        background: Canvas;
      }
      [part~='meter-fill'],
      .warning [part~='meter-fill'],
      .over [part~='meter-fill'] {
        background: Highlight;
      }
    }
  `,
];
