// Runs after the mount points and the loader tag: proves a broken widget config did not stop the page.
window.ckAfterEmbed = 'ran';
