/** A life ring: white with red bands. */
export function LifeboatMark({ size = 22 }: { size?: number }) {
  return (
    <svg width={size} height={size} viewBox="0 0 24 24" aria-hidden="true" className="brand-mark">
      <circle cx="12" cy="12" r="9" fill="none" stroke="currentColor" strokeWidth="4" />
      <circle cx="12" cy="12" r="9" fill="none" stroke="var(--danger)" strokeWidth="4" strokeDasharray="7.07 7.07" />
    </svg>
  );
}
