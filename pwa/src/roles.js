// What a role may do in this app (DESIGN.md §3): only agents and team leaders register;
// a beheerder never reads or starts a registration (need-to-know), so never syncs them.
export const REGISTRAR_ROLES = ['agent', 'teamleider'];

export function canRegister(user) {
  return !!user && REGISTRAR_ROLES.includes(user.role);
}
