'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api } from '@/components/api/client';
import type { Items } from '@/components/api/types';
import { useViewer } from '@/components/layout/viewer';
import { Alert, ErrorAlert, ErrorMessage } from '@/components/ui/alert';
import { formatDateTime } from '@/components/ui/format';
import { PageHeader } from '@/components/ui/page-header';
import { TableStatus } from '@/components/ui/query-state';
import type { UserDto } from '@/server/auth';

const ROLES = ['VIEWER', 'OPERATOR', 'APPROVER', 'ADMIN'] as const;
type Role = (typeof ROLES)[number];
const USERS_KEY = ['users'] as const;
// The password rule of server/auth/users.ts (CreateUserInput), repeated so the form says it before sending.
const MIN_PASSWORD = 12;

function useUsers(enabled: boolean) {
  return useQuery({
    queryKey: USERS_KEY,
    queryFn: ({ signal }) => api<Items<UserDto>>('/users', { signal }).then((r) => r.items),
    enabled,
  });
}

/** Admins: who may sign in, with which role. Disabling takes effect on the user's next request. */
export function UsersPage() {
  const viewer = useViewer();
  const users = useUsers(viewer.can.manageUsers);
  if (!viewer.can.manageUsers) {
    return (
      <>
        <PageHeader title="Users" />
        <Alert tone="warning">Only admins manage users.</Alert>
      </>
    );
  }
  const rows = users.data ?? [];
  return (
    <>
      <PageHeader title="Users" subtitle="Who may sign in, and with which role. A disabled user's sessions and API tokens stop working at once." />
      <CreateUserForm />
      <div className="card">
        <table className="table" aria-label="Users">
          <thead>
            <tr>
              <th>Email</th>
              <th>Name</th>
              <th>Role</th>
              <th>Signs in with</th>
              <th>Last sign-in</th>
              <th>State</th>
              <th />
            </tr>
          </thead>
          <tbody>
            <TableStatus colSpan={7} loading={users.isPending} error={users.error} empty={rows.length === 0 && 'No users.'} />
            {rows.map((u) => (
              <UserRow key={u.id} u={u} self={u.email === viewer.email} />
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}

function UserRow({ u, self }: { u: UserDto; self: boolean }) {
  const queryClient = useQueryClient();
  const update = useMutation({
    mutationFn: (patch: { role?: Role; disabled?: boolean }) => api<UserDto>(`/users/${u.id}`, { method: 'PATCH', body: patch }),
    onSettled: () => void queryClient.invalidateQueries({ queryKey: USERS_KEY }),
  });
  return (
    <tr data-testid="user-row" className={u.disabled ? 'revoked' : undefined}>
      <td>
        {u.email}
        {self && <span className="badge badge-neutral badge-inline">you</span>}
      </td>
      <td>{u.name}</td>
      <td>
        <select
          aria-label={`Role of ${u.email}`}
          value={u.role}
          disabled={update.isPending}
          onChange={(e) => update.mutate({ role: e.target.value as Role })}
        >
          {ROLES.map((r) => (
            <option key={r} value={r}>
              {r.toLowerCase()}
            </option>
          ))}
        </select>
      </td>
      <td>{u.signIn.length ? u.signIn.map((m) => (m === 'oidc' ? 'single sign-on' : 'password')).join(', ') : <span className="muted">nothing</span>}</td>
      <td>{u.lastSignInAt ? formatDateTime(u.lastSignInAt) : <span className="muted">never</span>}</td>
      <td>
        <span className={`badge ${u.disabled ? 'badge-danger' : 'badge-success'}`} data-testid="user-state">
          {u.disabled ? 'disabled' : 'enabled'}
        </span>
      </td>
      <td>
        <button
          type="button"
          className={u.disabled ? 'btn btn-sm' : 'btn btn-sm btn-danger'}
          disabled={update.isPending}
          onClick={() => update.mutate({ disabled: !u.disabled })}
        >
          {u.disabled ? 'Enable' : 'Disable'}
        </button>
        {update.error && (
          <span className="danger-text" data-testid="user-error">
            <ErrorMessage error={update.error} />
          </span>
        )}
      </td>
    </tr>
  );
}

function CreateUserForm() {
  const queryClient = useQueryClient();
  const [email, setEmail] = useState('');
  const [name, setName] = useState('');
  const [role, setRole] = useState<Role>('VIEWER');
  const [password, setPassword] = useState('');
  const create = useMutation({
    mutationFn: () => api<UserDto>('/users', { method: 'POST', body: { email: email.trim(), name: name.trim(), role, password } }),
    onSuccess: () => {
      setEmail('');
      setName('');
      setPassword('');
      void queryClient.invalidateQueries({ queryKey: USERS_KEY });
    },
  });
  return (
    <section className="card" aria-labelledby="new-user-heading">
      <h2 id="new-user-heading">New user</h2>
      <form
        className="form form-inline"
        onSubmit={(e) => {
          e.preventDefault();
          create.mutate();
        }}
      >
        <div className="field grow">
          <label htmlFor="user-email">Email</label>
          <input id="user-email" type="email" required value={email} onChange={(e) => setEmail(e.target.value)} placeholder="ops@example.com" />
        </div>
        <div className="field grow">
          <label htmlFor="user-name">Name</label>
          <input id="user-name" required maxLength={100} value={name} onChange={(e) => setName(e.target.value)} />
        </div>
        <div className="field">
          <label htmlFor="user-role">Role</label>
          <select id="user-role" value={role} onChange={(e) => setRole(e.target.value as Role)}>
            {ROLES.map((r) => (
              <option key={r} value={r}>
                {r.toLowerCase()}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="user-password">Initial password</label>
          <input
            id="user-password"
            type="password"
            autoComplete="new-password"
            required
            minLength={MIN_PASSWORD}
            maxLength={200}
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            placeholder={`${MIN_PASSWORD}+ characters`}
          />
        </div>
        <button type="submit" className="btn btn-primary" disabled={create.isPending}>
          {create.isPending ? 'Creating…' : 'Create user'}
        </button>
      </form>
      {create.error && <ErrorAlert title="The user was not created" error={create.error} />}
      {create.data && (
        <Alert tone="success" title={`User ${create.data.email} created`} testId="new-user">
          Hand them the initial password out of band. Users who sign in with single sign-on are created at their first sign-in.
        </Alert>
      )}
    </section>
  );
}
