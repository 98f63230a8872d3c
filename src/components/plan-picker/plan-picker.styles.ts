// Styles of <plan-picker>: a responsive card grid that fits 320 px, logical properties for RTL.
import { css } from 'lit';
import { hostTokens } from '../../styles/shared.js';

export const planPickerStyles = [
  hostTokens,
  css`
    [part~='base'] {
      display: grid;
      gap: 1rem;
    }
    .switch {
      display: inline-flex;
      gap: 0.25rem;
      padding: 0.25rem;
      border: 1px solid var(--_border);
      border-radius: 999px;
      justify-self: center;
    }
    .switch button {
      border-radius: 999px;
      padding-inline: 0.75em;
      background: transparent;
      color: var(--_text);
      border-color: transparent;
      min-block-size: 2.25rem;
    }
    .switch button[aria-pressed='true'] {
      background: var(--_accent);
      color: var(--_on-accent);
    }
    .saving {
      font-size: 0.8em;
      font-weight: 600;
      white-space: nowrap;
    }
    [role='radiogroup'],
    .grid-placeholder {
      display: grid;
      gap: 1rem;
      grid-template-columns: repeat(auto-fit, minmax(min(100%, 15rem), 1fr));
    }
    [part~='plan'] {
      display: flex;
      flex-direction: column;
      gap: 0.75rem;
      padding: 1.25rem;
      border: 1px solid var(--_border);
      border-radius: var(--_radius);
      background: var(--_surface);
      min-block-size: 17rem;
    }
    [part~='plan'].selected {
      border-color: var(--_accent);
      box-shadow: 0 0 0 1px var(--_accent);
    }
    [role='radio'] {
      display: grid;
      gap: 0.35rem;
      cursor: pointer;
      border-radius: calc(var(--_radius) * 0.6);
      text-align: start;
    }
    .name {
      font-size: 1.15em;
      font-weight: 700;
      display: flex;
      gap: 0.5rem;
      align-items: center;
      flex-wrap: wrap;
    }
    [part~='price'] {
      font-size: 1.6em;
      font-weight: 700;
      font-variant-numeric: tabular-nums;
    }
    .per {
      font-size: 0.55em;
      font-weight: 500;
      color: var(--_muted);
    }
    .description {
      color: var(--_muted);
      margin: 0;
    }
    [part~='badge'] {
      justify-self: start;
      font-size: 0.72rem;
      font-weight: 600;
      padding: 0.1rem 0.5rem;
      border-radius: 999px;
      border: 1px solid currentColor;
      color: var(--_accent);
    }
    ul {
      margin: 0;
      padding-inline-start: 1.1rem;
      display: grid;
      gap: 0.25rem;
      align-content: start;
      flex: 1;
    }
    [part~='plan'] > button {
      inline-size: 100%;
    }
    .placeholder {
      min-block-size: 17rem;
    }
    .status:empty {
      display: none;
    }
    :host(:dir(rtl)) .per {
      unicode-bidi: isolate;
    }
    @media (forced-colors: active) {
      [part~='plan'].selected {
        outline: 3px solid Highlight;
      }
      .switch button[aria-pressed='true'] {
        background: Highlight;
        color: HighlightText;
        forced-color-adjust: none;
      }
    }
  `,
];
