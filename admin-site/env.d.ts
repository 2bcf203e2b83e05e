/// <reference types="astro/client" />
// Astro's client types (`import.meta.env`, asset imports) for `tsc --noEmit`, which may run before
// `astro sync` has written `.astro/types.d.ts` (as in a fresh clone).
