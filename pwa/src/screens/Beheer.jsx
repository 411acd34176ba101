// The beheerder's start screen: what they can do here. Registrations are not theirs to read
// (need-to-know), so none of the registration screens are shown; admin screens come later.
import { logout } from '../store/session.js';

export function BeheerScreen({ user }) {
  return (
    <main id="main" tabIndex={-1}>
      <h1>Beheer</h1>
      <p>U bent ingelogd als beheerder{user && user.display_name ? ` (${user.display_name})` : ''}.</p>
      <p>Als beheerder beheert u in Wijkpost de apparaten van de agenten en teamleiders:
        een verloren of gestolen apparaat trekt u in, zodat de gegevens erop worden gewist.
        Later komen hier ook gebieden en gebiedsberichten bij.</p>
      <p class="note">Registraties (VOR, PDO, GTPA) zijn alleen voor agenten en teamleiders
        van het team. Beheerders zien ze niet en maken ze niet aan.</p>
      <button type="button" class="secondary" onClick={() => logout()}>Uitloggen</button>
    </main>
  );
}
