// npm start: placeholder until the kernel demo lands.
console.log('hurdle: see README.md');
