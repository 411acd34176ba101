// The beheerder's screen: devices are managed elsewhere; here areas and area notices
// (online, through /api/areas and /api/notices: a beheerder does not pull). Registrations
// are not theirs to read (need-to-know), so none of the registration screens are shown.
import { logout } from '../store/session.js';
import { AreasSection, useAreas } from './beheer/Areas.jsx';
import { NoticesSection } from './beheer/Notices.jsx';

export function BeheerScreen({ user }) {
  const areas = useAreas();
  return (
    <main id="main" tabIndex={-1}>
      <h1>Beheer</h1>
      <p>U bent ingelogd als beheerder{user && user.display_name ? ` (${user.display_name})` : ''}.</p>
      <p>Als beheerder beheert u in Wijkpost de apparaten van de agenten en teamleiders:
        een verloren of gestolen apparaat trekt u in, zodat de gegevens erop worden gewist.
        Hier beheert u ook de gebieden en de gebiedsberichten.</p>
      <p class="note">Registraties (VOR, PDO, GTPA) zijn alleen voor agenten en teamleiders
        van het team. Beheerders zien ze niet en maken ze niet aan.</p>
      <p><a class="block-link" href="#/beheer/vervangers">Vervangend beoordelaars per team</a></p>
      <AreasSection {...areas} />
      <NoticesSection areas={areas.areas} />
      <button type="button" class="secondary" onClick={() => logout()}>Uitloggen</button>
    </main>
  );
}
