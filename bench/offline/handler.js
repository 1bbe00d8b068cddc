exports.echo = async (e) => e;
