import NextAuth from 'next-auth';
import { authOptions } from '@/server/auth';
import { otherMethods } from '@/server/http/fallbacks';

const handler = NextAuth(authOptions);
export { handler as GET, handler as POST };

export const { PUT, PATCH, DELETE } = otherMethods('GET', 'POST');
