const name = scriptArgs[1] ?? "world";
console.log(`hello, ${name}!`);
