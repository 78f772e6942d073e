window.deepsim = window.deepsim || {};
