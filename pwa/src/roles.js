// What a role may do in this app (DESIGN.md §3): only agents and team leaders register;
// a beheerder never reads or starts a registration (need-to-know), so never syncs them.
export const REGISTRAR_ROLES = ['agent', 'teamleider'];

export function canRegister(user) {
  return !!user && REGISTRAR_ROLES.includes(user.role);
}

/** A team leader starts on the review queue and decides on the team's registrations. */
export function canReview(user) {
  return !!user && user.role === 'teamleider';
}
