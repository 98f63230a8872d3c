// Tokens and pieces of style every element shares: short custom properties on :host falling back
// to page-wide --tollgate-* tokens; light/dark follows the host page's color-scheme.
import { css } from 'lit';

export const hostTokens = css`
  :host {
    --_accent: var(--accent, var(--tollgate-accent, light-dark(#4338ca, #a5b4fc)));
    --_on-accent: var(--on-accent, var(--tollgate-on-accent, light-dark(#ffffff, #111827)));
    --_radius: var(--radius, var(--tollgate-radius, 0.75rem));
    --_surface: var(--surface, var(--tollgate-surface, light-dark(#ffffff, #1f2430)));
    --_text: var(--text, var(--tollgate-text, light-dark(#111827, #f3f4f6)));
    --_muted: var(--muted, var(--tollgate-muted, light-dark(#4b5563, #b6bcc8)));
    --_border: var(--border, var(--tollgate-border, light-dark(#d1d5db, #3b4252)));
    --_font: var(--font, var(--tollgate-font, system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif));
    --_track: var(--track-color, var(--tollgate-track-color, light-dark(#e5e7eb, #374151)));
    --_warn: var(--warn-color, var(--tollgate-warn-color, light-dark(#92400e, #fbbf24)));
    --_danger: var(--danger-color, var(--tollgate-danger-color, light-dark(#b91c1c, #f87171)));
    --_ok: var(--ok-color, var(--tollgate-ok-color, light-dark(#166534, #4ade80)));
    display: block;
    box-sizing: border-box;
    font-family: var(--_font);
    color: var(--_text);
    line-height: 1.4;
    min-inline-size: 0;
  }
  :host([hidden]) {
    display: none;
  }
  *,
  *::before,
  *::after {
    box-sizing: inherit;
  }
  button {
    font: inherit;
    cursor: pointer;
    border-radius: calc(var(--_radius) * 0.6);
    border: 1px solid var(--_accent);
    background: var(--_accent);
    color: var(--_on-accent);
    padding: 0.55em 1em;
    min-block-size: 2.5rem;
    font-weight: 600;
  }
  button.secondary {
    background: transparent;
    color: var(--_accent);
  }
  /* Disabled reads as inactive (no brand colour) yet stays legible: muted text on the track colour. */
  button:disabled {
    cursor: default;
    background: var(--_track);
    border-color: var(--_track);
    color: var(--_muted);
  }
  button:focus-visible,
  [tabindex]:focus-visible,
  input:focus-visible {
    outline: 3px solid var(--_accent);
    outline-offset: 2px;
  }
  .sr-only {
    position: absolute;
    inline-size: 1px;
    block-size: 1px;
    overflow: hidden;
    clip-path: inset(50%);
    white-space: nowrap;
  }
  .error {
    color: var(--_danger);
    display: flex;
    flex-wrap: wrap;
    gap: 0.5rem;
    align-items: center;
  }
  .skeleton {
    background: var(--_track);
    border-radius: var(--_radius);
    animation: pulse 1.5s ease-in-out infinite;
  }
  @keyframes pulse {
    50% {
      opacity: 0.5;
    }
  }
  @media (prefers-reduced-motion: reduce) {
    .skeleton {
      animation: none;
    }
  }
  @media (forced-colors: active) {
    button {
      border: 1px solid ButtonText;
      background: ButtonFace;
      color: ButtonText;
    }
    button:disabled {
      color: GrayText;
      border-color: GrayText;
    }
    .skeleton {
      background: GrayText;
    }
    .error {
      color: CanvasText;
    }
  }
`;
