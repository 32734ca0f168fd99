import { extendZodWithOpenApi } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';

// zod 4 gives each schema its methods when it is built, so `.openapi()` exists only on schemas built after this
// line: every file of server/openapi imports `z` from here. Schemas of the verbs (built before) are cloned when
// registered (document.ts, `named`).
extendZodWithOpenApi(z);

export { z };
