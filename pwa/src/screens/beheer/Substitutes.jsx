// Substitute reviewers (DESIGN.md §3): a beheerder names, per team, a teamleider of another
// team who may review that team's registrations, or removes them. Online, through
// GET /api/teams and PUT /api/teams/<id>/substitute; people by their display names.
import { useEffect, useState } from 'preact/hooks';
import { api } from '../../api.js';
import { requireActive } from '../../store/session.js';
import { problemText } from './Areas.jsx';

function leaderNames(team) {
  return team.leaders.map((l) => l.display_name).join(', ');
}

function TeamRow({ team, teams, onSaved }) {
  // Candidates: the teamleiders of every other team.
  const candidates = teams.filter((t) => t.id !== team.id)
    .flatMap((t) => t.leaders.map((l) => ({ ...l, teamName: t.name })))
    .sort((a, b) => a.display_name.localeCompare(b.display_name, 'nl'));
  const current = team.substitute ? String(team.substitute.id) : '';
  const [choice, setChoice] = useState(current);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const [message, setMessage] = useState(null);
  useEffect(() => setChoice(current), [current]);
  const selectId = `substitute-${team.id}`;

  const save = async (userId) => {
    setBusy(true); setError(null); setMessage(null);
    try {
      const updated = await api(`/teams/${team.id}/substitute`, {
        method: 'PUT', token: requireActive().token, body: { user_id: userId },
      });
      onSaved(updated);
      setMessage(updated.substitute
        ? `${updated.substitute.display_name} beoordeelt nu ook voor team ${team.name}.`
        : `Team ${team.name} heeft geen vervangend beoordelaar meer.`);
    } catch (e) {
      setError(problemText(e));
    } finally {
      setBusy(false);
    }
  };

  const needsOne = team.leaders.length === 0;
  return (
    <li class="substitute-team" aria-labelledby={`${selectId}-name`}>
      <h3 id={`${selectId}-name`}>Team {team.name}</h3>
      <p class="small">
        Teamleiders: {team.leaders.length ? leaderNames(team) : <strong>geen</strong>}
        {needsOne && !team.substitute ? ' — dit team heeft een vervangend beoordelaar nodig.' : ''}
      </p>
      <p class="small" data-testid={`substitute-${team.name}`}>
        Vervangend beoordelaar: {team.substitute
          ? <strong>{team.substitute.display_name}{team.substitute.team && team.substitute.team.name ? ` (team ${team.substitute.team.name})` : ''}</strong>
          : 'geen'}
      </p>
      {candidates.length === 0 ? (
        <p class="muted small">Er is geen teamleider van een ander team om te kiezen.</p>
      ) : (
        <form class="substitute-form" onSubmit={(e) => { e.preventDefault(); if (choice) save(Number(choice)); }}>
          <div class="field">
            <label for={selectId}>Vervangend beoordelaar voor team {team.name}</label>
            <select id={selectId} onChange={(e) => setChoice(e.currentTarget.value)}>
              <option value="" selected={choice === ''}>Kies een teamleider</option>
              {candidates.map((c) => (
                <option key={c.id} value={String(c.id)} selected={choice === String(c.id)}>{c.display_name} (team {c.teamName})</option>
              ))}
            </select>
          </div>
          <div class="row">
            <button type="submit" disabled={busy || !choice || choice === current}>Opslaan</button>
            {team.substitute && (
              <button type="button" class="secondary danger" disabled={busy} onClick={() => save(null)}>Vervanger verwijderen</button>
            )}
          </div>
        </form>
      )}
      {message && <p class="ok" role="status">{message}</p>}
      {error && <p class="error-text" role="alert">{error}</p>}
    </li>
  );
}

export function SubstitutesScreen() {
  const [teams, setTeams] = useState(null);
  const [problem, setProblem] = useState(null);
  const load = async () => {
    setProblem(null);
    try {
      setTeams((await api('/teams', { token: requireActive().token })).teams);
    } catch (e) {
      setProblem(problemText(e));
    }
  };
  useEffect(() => { load(); }, []);
  const saved = (updated) => setTeams((list) => list.map((t) => (t.id === updated.id ? updated : t)));
  return (
    <main id="main" tabIndex={-1}>
      <p><a href="#/" class="back-link">← Terug naar Beheer</a></p>
      <h1>Vervangend beoordelaars</h1>
      <p>Heeft een team geen teamleider, of heeft de enige teamleider een registratie zelf gemaakt,
        dan beoordeelt een teamleider van een ander team. Die krijgt direct toegang tot de
        registraties van het team, tot u de vervanger weer verwijdert.</p>
      {problem && <p class="error-text" role="alert">{problem} <button type="button" class="secondary small" onClick={load}>Opnieuw</button></p>}
      {teams === null ? (!problem && <p>Laden…</p>) : teams.length === 0 ? <p>Er zijn nog geen teams.</p> : (
        <ul class="admin-list substitute-list">
          {teams.map((t) => <TeamRow key={t.id} team={t} teams={teams} onSaved={saved} />)}
        </ul>
      )}
    </main>
  );
}
