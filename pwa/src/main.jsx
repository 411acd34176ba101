import { render } from 'preact';
import { App } from './app.jsx';
import { listenForNoticeTaps } from './push.js';
import { start } from './store/session.js';
import { installTriggers } from './sync/client.js';
import { installIdleLock } from './ui/idle.js';
import { registerServiceWorker } from './ui/update.js';
import './styles.css';

registerServiceWorker();
installTriggers();
installIdleLock();
listenForNoticeTaps();
render(<App />, document.getElementById('app'));
start().catch((error) => {
  document.getElementById('app').textContent = `Wijkpost kan niet starten: ${error.message}`;
});
