import type { AuthOptions } from 'next-auth';
import CredentialsProvider from 'next-auth/providers/credentials';
import { z } from 'zod';
import { noControlChars } from '@/server/shared/text';
import { authenticatePassword } from './users';

// The sign-in form is not behind route(); the shared check keeps a NUL in the email away from PostgreSQL (a failed
// sign-in, not a 500). The password is only hashed, so any character may be in it.
const Credentials = z.object({ email: z.string().min(1).refine(...noControlChars), password: z.string().min(1) });

/** next-auth v4: credentials against the catalog's argon2 hashes, JWT sessions carrying the user id. */
export const authOptions: AuthOptions = {
  session: { strategy: 'jwt', maxAge: 12 * 60 * 60 }, // a working day; operators sign in again each day
  pages: { signIn: '/login' },
  providers: [
    CredentialsProvider({
      name: 'Email and password',
      credentials: { email: { label: 'Email', type: 'email' }, password: { label: 'Password', type: 'password' } },
      async authorize(raw) {
        const creds = Credentials.safeParse(raw);
        if (!creds.success) return null;
        const actor = await authenticatePassword(creds.data.email, creds.data.password);
        if (!actor || !actor.id) return null;
        return { id: actor.id, email: actor.label, name: actor.label, role: actor.role };
      },
    }),
  ],
  callbacks: {
    async jwt({ token, user }) {
      if (user) {
        token.sub = user.id;
        token.role = (user as { role?: string }).role;
      }
      return token;
    },
    async session({ session, token }) {
      if (session.user) {
        (session.user as { id?: string; role?: string }).id = token.sub;
        (session.user as { id?: string; role?: string }).role = token.role as string | undefined;
      }
      return session;
    },
  },
};
