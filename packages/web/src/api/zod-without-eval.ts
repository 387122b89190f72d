import { z } from 'zod';

// The page runs under script-src 'self' (no 'unsafe-eval'). Zod 4 probes `new Function` for its
// faster object parser; a strict CSP refuses the probe and reports it as a violation (console
// error, report-uri) even though zod swallows the throw. Off before the first parse.
z.config({ jitless: true });
