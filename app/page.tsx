import { redirect } from 'next/navigation';

// The overview is the first page after sign-in: objectives achieved, what is out of target, what failed.
export default function Home(): never {
  redirect('/overview');
}
